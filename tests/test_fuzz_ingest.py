"""Hostile and broken input: every parser meets random bytes, truncated files, bombs, escapes and odd text.

The property, for every input: it ends in exactly one of records / duplicate / filtered /
quarantined, with a one-line reason naming no content; nothing raises; and a good file read in the
same batch still gives its records. Hypothesis runs few, derandomized examples, so CI is fast and
the same on every machine.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files, samples
from appliance.ingest.readers import ARCHIVES, READERS

GOOD = samples.sentences(random.Random(1), 4)
SUFFIXES = sorted(READERS) + sorted(ARCHIVES)
STATUSES = {"records", "duplicate", "filtered", "quarantined"}
# Bounds small enough that a bomb is refused in milliseconds; a real run keeps the defaults.
CONFIG = IngestConfig(workers=1, archive_max_bytes=32 * 1024 * 1024, archive_max_ratio=50)
FUZZ = settings(max_examples=25, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def ingest_batch(folder: Path, files: dict[str, bytes], config: IngestConfig = CONFIG):
    """Write the files plus one good note into a fresh folder and ingest it; check the shared property."""
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "zz-good.txt").write_text(GOOD)
    result = ingest_files(discover([folder]), config, ("gender",))
    for outcome in result.outcomes:
        assert outcome.status in STATUSES
        assert outcome.path.startswith(folder.name + "/"), "every outcome names its file"
        assert "\n" not in outcome.reason and "\r" not in outcome.reason, f"{outcome.path}: reason is not one line"
        assert "Traceback" not in outcome.reason
        if outcome.status != "records":
            assert outcome.reason, f"{outcome.path}: {outcome.status} without a reason"
    good = [o for o in result.outcomes if o.path.endswith("zz-good.txt")]
    assert [o.status for o in good] in (["records"], ["duplicate"]), "the batch continues past a hostile file"
    counts = result.counts()
    assert counts["files_in"] == sum(counts[k] for k in ("files_with_records", "files_duplicate", "files_filtered", "files_quarantined"))
    return result


def outcome_of(result, name: str):
    return next(o for o in result.outcomes if o.path.endswith(name))


_counter = iter(range(10**9))


def fresh(tmp_path: Path) -> Path:
    return tmp_path / f"batch{next(_counter)}"


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_under_every_extension(tmp_path: Path, data: bytes, suffix: str) -> None:
    result = ingest_batch(fresh(tmp_path), {f"random{suffix}": data})
    assert len(result.outcomes) >= 2


@FUZZ
@given(kind=st.sampled_from(samples.SAMPLE_KINDS), cut=st.floats(min_value=0.0, max_value=0.99))
def test_truncated_files_of_every_kind(tmp_path: Path, kind: str, cut: float) -> None:
    whole = samples._sample_file(kind, random.Random(7))
    ingest_batch(fresh(tmp_path), {f"cut.{kind}": whole[: int(len(whole) * cut)]})


@FUZZ
@given(data=st.data())
def test_flipped_bytes_in_binary_formats(tmp_path: Path, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["pdf", "docx", "zip", "tar.gz", "eml"]))
    body = bytearray(samples._sample_file(kind, random.Random(3)))
    for _ in range(data.draw(st.integers(1, 8))):
        body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
    ingest_batch(fresh(tmp_path), {f"flipped.{kind}": bytes(body)})


# Right-to-left, mixed scripts, zero-width and combining characters, and (surrogates excluded) anything else.
ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("\u200b\u200c\u200d\u2060\ufeff\u202e\u202d\u061c\u0301\u0308"),
        st.characters(min_codepoint=0x590, max_codepoint=0x6FF),  # Hebrew, Arabic
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80),  # CJK
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=300,
)


@FUZZ
@given(odd=ODD_TEXT, suffix=st.sampled_from([".txt", ".md", ".jsonl", ".csv", ".html", ".vtt", ".srt", ".eml"]))
def test_odd_unicode_in_every_text_format(tmp_path: Path, odd: str, suffix: str) -> None:
    text = f"{GOOD[:60]} {odd} {GOOD[60:]}"
    builders = {
        ".jsonl": lambda: json.dumps({"text": text}),
        ".csv": lambda: "text\n" + json.dumps(text),  # a JSON string is a valid quoted CSV cell
        ".html": lambda: samples.make_html("t", [text]).decode(),
        ".vtt": lambda: samples.make_vtt([("Customer", text), ("Agent", GOOD)]).decode(),
        ".srt": lambda: samples.make_srt([("Customer", text), ("Agent", GOOD)]).decode(),
        ".eml": lambda: samples.make_email("a@example.com", "b@example.com", "Hello", text).decode(),
    }
    content = builders.get(suffix, lambda: text)()
    result = ingest_batch(fresh(tmp_path), {f"odd{suffix}": content.encode()})
    outcome = outcome_of(result, f"odd{suffix}")
    if suffix in (".txt", ".md", ".jsonl") and outcome.status == "records":
        kept = "".join(piece for r in result.records if r.source.path.endswith(suffix) for piece in r.texts())
        assert GOOD[:60] in kept and odd.strip() in kept, "odd characters are kept as they are, not dropped or replaced"


@FUZZ
@given(prefix=st.binary(max_size=64), bad=st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82"]))
def test_invalid_utf8_is_quarantined_never_replaced(tmp_path: Path, prefix: bytes, bad: bytes) -> None:
    data = GOOD.encode() + b" " + bad + b" " + GOOD.encode()
    result = ingest_batch(fresh(tmp_path), {"bad.txt": data, "bad.jsonl": json.dumps({"text": GOOD}).encode()[:-2] + bad + b'"}'})
    for name in ("bad.txt", "bad.jsonl"):
        outcome = outcome_of(result, name)
        assert outcome.status == "quarantined" and "not valid UTF-8 (byte offset" in outcome.reason
    assert all("\ufffd" not in piece for r in result.records for piece in r.texts()), "never silently replaced"


def test_deeply_nested_json_is_quarantined_not_a_recursion_error(tmp_path: Path) -> None:
    depth = 200_000
    nested = b"[" * depth + b"]" * depth
    deep_object = b'{"text": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    result = ingest_batch(tmp_path / "in", {"deep.json": nested, "deep.jsonl": deep_object + b"\n"})
    for name in ("deep.json", "deep.jsonl"):
        outcome = outcome_of(result, name)
        assert outcome.status == "quarantined", outcome
        assert "nested too deeply" in outcome.reason


def test_huge_single_lines_are_bounded_and_accounted_for(tmp_path: Path) -> None:
    line = ("word " * 1_200_000).encode()  # 6 MB without a newline
    files = {
        "line.txt": line,
        "line.jsonl": json.dumps({"text": line.decode()}).encode() + b"\n",
        "line.csv": b"text\n" + line + b"\n",
        "line.json": json.dumps([{"text": line.decode()}]).encode(),
    }
    result = ingest_batch(tmp_path / "in", files, IngestConfig(workers=1, max_chars=100_000))
    assert outcome_of(result, "line.txt").status == "records", "a document with one huge line is chunked"
    for name in ("line.jsonl", "line.csv", "line.json"):
        outcome = outcome_of(result, name)
        assert outcome.status == "filtered" and result.filtered["too_long"] >= 1


def test_extremely_long_document_is_chunked_with_offsets(tmp_path: Path) -> None:
    rng = random.Random(2)
    text = "\n\n".join(samples.sentences(rng, 3) for _ in range(20_000))  # ~5 MB
    result = ingest_batch(tmp_path / "in", {"long.md": text.encode()})
    chunks = [r for r in result.records if r.source.path.endswith("long.md")]
    assert len(chunks) > 1000 and all(len(r.text or "") <= CONFIG.max_chunk_chars for r in chunks)


@pytest.mark.parametrize("build", [samples.make_zip, lambda m, symlinks={}: samples.make_tar(m, symlinks)], ids=["zip", "tar"])
def test_hostile_archives(tmp_path: Path, build) -> None:
    members = {"ok.txt": GOOD.encode(), "../escape.txt": b"x" * 50, "/etc/absolute.txt": b"y" * 50, "C:\\windows.txt": b"z" * 50}
    folder = tmp_path / "in"
    suffix = ".zip" if build is samples.make_zip else ".tar.gz"
    result = ingest_batch(folder, {f"hostile{suffix}": build(members, symlinks={"link.txt": "../../etc/passwd"})})
    by_member = {o.path.split("!", 1)[1]: o for o in result.outcomes if "!" in o.path}
    assert by_member["ok.txt"].status == "records"
    for name in ("../escape.txt", "/etc/absolute.txt", "C:\\windows.txt", "link.txt"):
        assert by_member[name].status == "quarantined", name
        assert "refused" in by_member[name].reason
    assert not (tmp_path / "escape.txt").exists() and not (folder.parent / "etc").exists(), "nothing is extracted"


def test_zip_bombs_are_refused_within_the_ratio_and_size_bounds(tmp_path: Path) -> None:
    bomb = samples.make_zip_bomb(16 * 1024 * 1024)  # ~16 KB on disk, 16 MB expanded: ratio ~1000, under the size bound
    huge = samples.make_zip_bomb(64 * 1024 * 1024)  # past the 32 MB size bound
    nested = samples.make_zip({"inner.zip": bomb, "ok.txt": GOOD.encode()})
    many = samples.make_zip({f"n{i}.txt": b"" for i in range(50)})
    files = {"bomb.zip": bomb, "huge.zip": huge, "nested.zip": nested, "many.zip": many}
    result = ingest_batch(tmp_path / "in", files, CONFIG.model_copy(update={"archive_max_members": 40}))
    assert "zip bomb" in outcome_of(result, "bomb.zip").reason and "ingest.archive_max_ratio" in outcome_of(result, "bomb.zip").reason
    assert "ingest.archive_max_bytes" in outcome_of(result, "huge.zip").reason
    assert outcome_of(result, "nested.zip!inner.zip").reason.startswith("archive inside an archive is not expanded")
    assert "archive_max_members" in outcome_of(result, "many.zip").reason


@settings(max_examples=15, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(samples.SAMPLE_KINDS), min_size=1, max_size=6), task=st.sampled_from(["instruction", "completion", "classification"]))
def test_every_task_accounts_for_every_file_and_keeps_only_its_shape(tmp_path: Path, kinds: list[str], task: str) -> None:
    rng = random.Random(len(kinds))
    folder = fresh(tmp_path)
    folder.mkdir(parents=True)
    for i, kind in enumerate(kinds):
        (folder / f"f{i}.{kind}").write_bytes(samples._sample_file(kind, rng))
    result = ingest_files(discover([folder]), CONFIG, ("gender",), task=task)
    counts = result.counts()
    assert counts["files_in"] == sum(counts[k] for k in ("files_with_records", "files_duplicate", "files_filtered", "files_quarantined"))
    if task == "classification":
        assert all(r.label and r.messages is None for r in result.records)
        assert all(o.reason.startswith("classification needs") for o in result.outcomes if o.status == "filtered" and not o.path.endswith((".csv", ".json", ".jsonl")))
    if task == "completion":
        assert all(r.messages is None and r.text for r in result.records)
