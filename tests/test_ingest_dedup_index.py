"""The on-disk duplicate index decides exactly as the plain rule does, whatever its buffer and bitmap sizes."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import pytest

from appliance.ingest import neardup, samples
from appliance.ingest.neardup import bucket_keys, label_key
from appliance.ingest.quality import minhash
from appliance.ingest.seen import seen_index

THRESHOLD = 0.9
Row = tuple[bytes, bytes, str]  # exact key, signature, label


def _files(seed: int = 7) -> list[tuple[list[Row], bool]]:
    """Files of records (exact repeats, near-duplicates at several distances, three labels); some fail half-way."""
    rng = random.Random(seed)
    base = [samples.sentences(rng, rng.randint(8, 14)).split() for _ in range(150)]
    files = []
    for _ in range(60):
        rows = []
        for _ in range(rng.randint(1, 40)):
            words = list(rng.choice(base))
            for _ in range(rng.choice([0, 0, 1, 1, 2, 6])):  # one word in ~150 keeps ~0.93 similar; six do not
                words[rng.randrange(len(words))] = rng.choice(["alpha", "bravo", "charlie"])
            text = " ".join(words) + rng.choice(["", "", "!"])  # punctuation: a new exact key, the same signature
            rows.append((text.encode(), minhash(text), rng.choice(["", "", "approved", "declined"])))
        files.append((rows, rng.random() > 0.15))
    return files


def _reference(files: list[tuple[list[Row], bool]]) -> list[str]:
    """The rule, in plain dicts: exact repeats are duplicates; a record is a near-duplicate when a kept record
    with its label shares one of its 16 band keys and matches at least THRESHOLD of its signature; a failed
    file keeps nothing."""
    keys: set[bytes] = set()
    buckets: dict[int, list[tuple[str, np.ndarray]]] = {}
    decisions = []
    for rows, succeeds in files:
        file_keys, file_buckets, file_decisions = set(keys), {k: list(v) for k, v in buckets.items()}, []
        for key, signature, label in rows:
            vector = np.frombuffer(signature, dtype=np.uint32)
            bands = bucket_keys(vector, label_key(label)).tolist()
            if key in file_keys:
                file_decisions.append("duplicate")
            elif any(other == label and (kept == vector).mean() >= THRESHOLD for band in bands for other, kept in file_buckets.get(band, [])):
                file_decisions.append("near")
            else:
                file_keys.add(key)
                for band in bands:
                    file_buckets.setdefault(band, []).append((label, vector))
                file_decisions.append("kept")
        if succeeds:
            keys, buckets = file_keys, file_buckets
            decisions += file_decisions
        else:
            decisions += ["dropped"] * len(rows)
    return decisions


def _indexed(files: list[tuple[list[Row], bool]], folder: Path) -> list[str]:
    decisions = []
    with seen_index(THRESHOLD, folder) as seen:
        assert seen.near is not None
        for rows, succeeds in files:
            seen.begin_file()
            file_decisions = []
            for key, signature, label in rows:
                if not seen.add_content(key):
                    file_decisions.append("duplicate")
                elif not seen.near.admit(signature, label):
                    seen.forget_content(key)
                    file_decisions.append("near")
                else:
                    file_decisions.append("kept")
            if succeeds:
                seen.keep_file()
                decisions += file_decisions
            else:
                seen.drop_file()
                decisions += ["dropped"] * len(rows)
    return decisions


@pytest.mark.parametrize(
    ("pending_rows", "first_bits", "max_bits"),
    [(neardup.PENDING_ROWS, neardup.FIRST_BITMAP_BITS, neardup.BITMAP_BITS), (64, 64, 64), (256, 64, 1 << 20)],
)
def test_decisions_match_the_plain_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pending_rows: int, first_bits: int, max_bits: int) -> None:
    # Tiny sizes: the buffer flushes inside files that then fail, nearly every bitmap bit is a false alarm,
    # and the bitmap is rebuilt larger several times.
    monkeypatch.setattr(neardup, "PENDING_ROWS", pending_rows)
    monkeypatch.setattr(neardup, "FIRST_BITMAP_BITS", first_bits)
    monkeypatch.setattr(neardup, "BITMAP_BITS", max_bits)
    files = _files()
    expected = _reference(files)
    assert {"duplicate", "near", "kept", "dropped"} <= set(expected) and expected.count("near") > 20
    assert _indexed(files, tmp_path) == expected
    assert list(tmp_path.iterdir()) == [], "the scratch index is removed"


def test_the_index_file_is_private_and_holds_no_text(tmp_path: Path) -> None:
    rng = random.Random(3)
    with seen_index(THRESHOLD, tmp_path) as seen:
        assert seen.near is not None
        seen.db.execute("PRAGMA cache_size = 2")  # two pages: everything goes to the file, as in a large ingest
        seen.earlier_file("ab" * 32, "in/notes.txt")
        for i in range(300):
            text = f"Zebulon Quartermaine asked about fee {i}. " + samples.sentences(rng, 2)
            seen.begin_file()
            assert seen.add_content(hashlib.sha256(text.encode()).digest()) and seen.near.admit(minhash(text), "approved")
            seen.keep_file()
        [folder] = tmp_path.iterdir()
        assert folder.stat().st_mode & 0o777 == 0o700
        files = list(folder.iterdir())
        assert sum(path.stat().st_size for path in files) > 150_000, "the index lives on disk"
        for path in files:
            assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"
            data = path.read_bytes()
            assert b"Quartermaine" not in data and b"approved" not in data, "digests and signatures only, never text"


def test_ingest_keeps_its_index_in_the_sinks_scratch_folder_and_removes_it(tmp_path: Path) -> None:
    import os

    from appliance.config import IngestConfig
    from appliance.ingest import discover, ingest_into
    from appliance.ingest.sink import ListSink

    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text(samples.sentences(random.Random(1), 4))
    scratch = tmp_path / "vault"
    scratch.mkdir()
    during: list[list[str]] = []

    class VaultSink(ListSink):  # the sealed sink names the run's vault as its scratch_dir
        scratch_dir = scratch

        def add(self, record, sidecar) -> None:
            during.append([path.name for path in scratch.iterdir()])
            super().add(record, sidecar)

    result = ingest_into(VaultSink(), discover([source]), IngestConfig(), ())
    assert result.records_out == 1
    [[name]] = during
    assert name.startswith(f".ingest-index.{os.getpid()}.") and name.endswith(".tmp"), "a temp name the run's lock can sweep"
    assert list(scratch.iterdir()) == []
