"""Quality: filters with counted reasons, near-duplicate removal, chunking with overlap."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files, samples
from appliance.ingest.chunking import chunk_pieces, chunk_text
from appliance.ingest.quality import filter_reason, minhash, similarity


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   \n ", "empty"),
        ("ok then", "too_short"),
        ("word " * 30, "too_long"),
        ("12.5 | 13.0 | 99.1 | 100.2 | 7.75 | 8.25 | 1,024 | 2,048", "non_text"),
        (base64.b64encode(bytes(range(60))).decode(), "non_text"),
        ("A wire transfer costs fifteen dollars within the country.", ""),
        ("Statement for 2024-01-31: balance 1,234.56 after fee of 2.50 and interest.", ""),
    ],
)
def test_filter_reasons(text: str, reason: str) -> None:
    assert filter_reason(text, IngestConfig(max_chars=100)) == reason


def test_filtered_records_are_counted_by_reason(tmp_path: Path) -> None:
    blob = base64.b64encode(bytes(range(90))).decode()
    rows = ["id,text", "1,A wire transfer costs fifteen dollars within the country.", "2,", "3,too short", f"4,{'long words ' * 20}", "5,1 2 3 4 5 6 7 8 9 10 11 12 13 14", f"6,{blob}"]
    write(tmp_path, "rows.csv", "\n".join(rows) + "\n")
    result = ingest_files(discover([tmp_path]), IngestConfig(max_chars=150), ())
    assert result.filtered == {"empty": 1, "too_short": 1, "too_long": 1, "non_text": 2}
    assert result.counts()["records_filtered"] == 5 and result.counts()["records_out"] == 1


def test_near_duplicates_are_removed_in_input_order_and_counted(tmp_path: Path) -> None:
    original = samples.sentences(random.Random(1), 25)
    words = original.split()
    edited = " ".join("different" if i == 60 else w for i, w in enumerate(words))
    unrelated = samples.sentences(random.Random(2), 25)
    write(tmp_path, "a.txt", original)
    write(tmp_path, "b.txt", edited)
    write(tmp_path, "c.txt", unrelated)
    assert similarity(minhash(original), minhash(edited)) >= 0.9 > similarity(minhash(original), minhash(unrelated))
    config = IngestConfig(max_chunk_chars=5000)
    result = ingest_files(discover([tmp_path]), config, ())
    statuses = {o.path.rsplit("/", 1)[1]: o.status for o in result.outcomes}
    assert statuses == {"a.txt": "records", "b.txt": "filtered", "c.txt": "records"}
    assert result.counts()["records_near_duplicate"] == 1 and result.near_duplicate_records == 1
    kept_all = ingest_files(discover([tmp_path]), IngestConfig(max_chunk_chars=5000, near_duplicate_threshold=None), ())
    assert kept_all.counts()["records_out"] == 3 and kept_all.counts()["records_near_duplicate"] == 0


def test_near_duplicates_with_different_labels_are_both_kept(tmp_path: Path) -> None:
    note = samples.sentences(random.Random(3), 6)
    lines = [{"text": note, "outcome": "approved"}, {"text": note + " Extra.", "outcome": "declined"}, {"text": note + " More.", "outcome": "approved"}]
    write(tmp_path, "loans.jsonl", "\n".join(json.dumps(line) for line in lines))
    result = ingest_files(discover([tmp_path]), IngestConfig(), ())
    assert [r.label for r in result.records] == ["approved", "declined"] and result.near_duplicate_records == 1


def test_overlapping_chunks_share_a_tail_and_keep_offsets() -> None:
    text = "\n\n".join(samples.sentences(random.Random(i), 5) for i in range(8))
    chunks = list(chunk_pieces([text], 500, overlap=100))
    assert len(chunks) > 2
    for (start, end, chunk), (next_start, _, _) in zip(chunks, chunks[1:]):
        assert text[start:end].strip() == chunk and len(chunk) <= 500
        assert start < next_start <= end and end - next_start <= 100, "repeats at most the overlap"
        assert next_start == end or text[next_start - 1].isspace() or text[next_start].isspace(), "starts at a word"
    covered = set().union(*(range(s, e) for s, e, _ in chunks))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_overlap_reaches_records_through_the_config(tmp_path: Path) -> None:
    write(tmp_path, "long.txt", " ".join(samples.sentences(random.Random(i), 4) for i in range(10)))
    plain = ingest_files(discover([tmp_path]), IngestConfig(max_chunk_chars=400), ())
    overlapped = ingest_files(discover([tmp_path]), IngestConfig(max_chunk_chars=400, chunk_overlap_chars=120), ())
    assert len(overlapped.records) > len(plain.records)
    spans = [tuple(int(x) for x in r.source.location.removeprefix("chars ").split("-")) for r in overlapped.records]
    assert all(b[0] < a[1] for a, b in zip(spans, spans[1:]))


_texts = st.lists(st.sampled_from(["alpha", "beta.", "gamma\n", "\n\n", "delta!", " ", "x" * 70, "\t", "é", "ünïcode"]), max_size=120).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(text=_texts, cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6), max_chars=st.sampled_from([100, 150, 333]), overlap=st.sampled_from([0, 0, 30, 200]))
def test_chunks_do_not_depend_on_how_the_stream_was_split(text: str, cuts: list[int], max_chars: int, overlap: int) -> None:
    whole = list(chunk_pieces([text], max_chars, overlap))
    bounds = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)])]
    assert list(chunk_pieces(pieces, max_chars, overlap)) == whole
    for start, end, chunk in whole:
        assert text[start:end].strip() == chunk and 0 < len(chunk) <= max_chars
    if overlap == 0:
        assert "".join("".join(c for _, _, c in whole).split()) == "".join(text.split()), "no character lost or repeated"


def test_chunk_text_keeps_its_location_format() -> None:
    assert chunk_text("One paragraph only.", 100) == [("chars 0-19", "One paragraph only.")]


def test_near_duplicate_index_keeps_labels_apart_and_rolls_a_file_back(tmp_path: Path) -> None:
    from appliance.ingest.seen import seen_index

    texts = [samples.sentences(random.Random(100 + i), 6) for i in range(30)]
    edited = [text.replace(".", ";", 1) for text in texts]  # one punctuation mark: the same words, a near-duplicate
    with seen_index(0.9, tmp_path) as seen:
        near = seen.near
        assert near is not None
        assert all(near.admit(minhash(text), "a" if i % 2 else "") for i, text in enumerate(texts))
        assert not any(near.admit(minhash(text), "a" if i % 2 else "") for i, text in enumerate(edited))
        assert all(near.admit(minhash(text), "b") for text in texts[:3]), "labels never mix"
        seen.begin_file()
        assert seen.add_content(b"key") and not seen.add_content(b"key")
        assert near.admit(minhash(samples.sentences(random.Random(999), 6)), "")
        seen.drop_file()  # the failed file's key and signature are forgotten
        assert seen.add_content(b"key")
        assert near.admit(minhash(samples.sentences(random.Random(999), 6)), "")
        assert not near.admit(minhash(samples.sentences(random.Random(999), 6)), "")
        assert seen.earlier_file("ab" * 32, "in/first.txt") is None and seen.earlier_file("ab" * 32, "in/second.txt") == "in/first.txt"
    assert list(tmp_path.iterdir()) == [], "the index is scratch: removed when ingest ends"
