"""Scale: the same result with any number of workers, large files streamed, many files, nothing lost."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files, pool, quarantine_is_fatal, samples
from appliance.ingest.readers import PathBlob, ReaderContext
from appliance.ingest.readers.text import read_plain_text


def snapshot(result) -> tuple:
    return [r.to_json() for r in result.records], result.sidecar, result.outcomes, result.counts(), dict(result.filtered), result.archives


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mixed") / "corpus"
    samples.write_corpus(root, 2 * pool.POOL_MIN_FILES)  # every format, a few duplicates and broken files
    return root


def test_records_are_identical_whatever_the_number_of_workers(mixed_corpus: Path) -> None:
    files = discover([mixed_corpus])
    one = ingest_files(files, IngestConfig(workers=1), ("gender",))
    three = ingest_files(files, IngestConfig(workers=3), ("gender",))
    assert snapshot(three) == snapshot(one)
    counts = one.counts()
    assert counts["files_quarantined"] >= 1 and counts["files_duplicate"] >= 1 and counts["archives_expanded"] >= 2
    assert counts["files_in"] == len(files) - counts["archives_expanded"] + counts["archive_members"]
    assert counts["files_in"] == sum(counts[k] for k in ("files_with_records", "files_duplicate", "files_filtered", "files_quarantined"))
    assert {o.format for o in one.outcomes} >= {"text", "markdown", "jsonl", "json", "csv", "html", "pdf", "docx", "email", "mbox", "webvtt", "srt"}


def test_a_broken_worker_pool_finishes_in_process_with_the_same_result(mixed_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = discover([mixed_corpus])
    expected = snapshot(ingest_files(files, IngestConfig(workers=1), ()))

    class BrokenPool:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(pool, "ProcessPoolExecutor", BrokenPool)
    assert snapshot(ingest_files(files, IngestConfig(workers=4), ())) == expected


def _paragraphs(count: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "\n\n".join(samples.sentences(rng, rng.randint(1, 5)) for _ in range(count))


def test_streamed_file_gives_the_same_records_as_one_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "in" / "big.txt"
    path.parent.mkdir()
    path.write_text(_paragraphs(9000).replace("\n", "\r\n"), newline="")  # ~2.4 MB, CRLF split across read blocks
    assert path.stat().st_size > 2 * 1024 * 1024
    whole = ingest_files(discover([path]), IngestConfig(workers=1), ())
    streamed = ingest_files(discover([path]), IngestConfig(workers=1, stream_above_bytes=1024), ())
    assert snapshot(streamed) == snapshot(whole) and len(whole.records) > 1000


def test_streaming_reader_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    block = (_paragraphs(200) + "\n\n").encode()
    with path.open("wb") as handle:
        for _ in range(48 * 1024 * 1024 // len(block)):
            handle.write(block)
    size = path.stat().st_size
    ctx = ReaderContext(IngestConfig(max_chunk_chars=4000), ())
    tracemalloc.start()
    chunks = sum(1 for _ in read_plain_text(PathBlob(path, size), ctx))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert chunks > 10_000
    assert peak < 8 * 1024 * 1024 < size / 5, f"peak {peak} bytes while reading {size}"


_MEASURE_PEAK = """
import resource, sys
from pathlib import Path
from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files
files = discover([Path(sys.argv[1])])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = ingest_files(files, IngestConfig(workers=1, max_chunk_chars=8000, stream_above_bytes=1 << 20), ())
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024, result.outcomes[0].status, result.duplicate_records)
"""


def test_ingesting_a_large_file_never_holds_its_text(tmp_path: Path) -> None:
    path = tmp_path / "repetitive.txt"
    block = (_paragraphs(100, seed=1) + "\n\n").encode()
    with path.open("wb") as handle:
        for _ in range(24 * 1024 * 1024 // len(block)):
            handle.write(block)
    size = path.stat().st_size
    # A fresh process, so the peak resident size is this ingest's alone.
    out = subprocess.run([sys.executable, "-c", _MEASURE_PEAK, str(path)], capture_output=True, text=True, check=True).stdout.split()
    growth, status, duplicates = int(out[0]), out[1], int(out[2])
    assert status == "records" and duplicates > 1000
    assert growth < size / 2, f"peak memory grew {growth} bytes for a {size}-byte file"


def test_a_streamed_file_failing_half_way_gives_no_records(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [json.dumps({"text": samples.sentences(random.Random(i), 3)}) for i in range(50)]
    (folder / "a.jsonl").write_text("\n".join(rows) + "\nnot json\n")
    (folder / "b.jsonl").write_text(rows[0] + "\n")
    result = ingest_files(discover([folder]), IngestConfig(workers=1, stream_above_bytes=1), ())
    assert [(o.status, o.reason) for o in result.outcomes] == [
        ("quarantined", "line 51 is not valid JSON (Expecting value); fix or remove that line"),
        ("records", ""),
    ]
    assert len(result.records) == 1 and result.duplicate_records == 0, "the failed file's rows were rolled back"


def test_ten_thousand_small_files(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    rng = random.Random(0)
    for i in range(10_000):
        (folder / f"note{i:05d}.txt").write_text(f"Note {i}. " + samples.sentences(rng, 2))
    files = discover([folder])
    started = time.perf_counter()
    result = ingest_files(files, IngestConfig(workers=2), ())
    elapsed = time.perf_counter() - started
    counts = result.counts()
    assert counts["files_in"] == 10_000 and counts["files_with_records"] + counts["files_filtered"] == 10_000
    assert counts["records_out"] + counts["records_near_duplicate"] + counts["records_duplicate"] == 10_000
    assert elapsed < 60


def test_quarantine_is_fatal_names_the_count_and_the_first(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A wire transfer costs fifteen dollars within the country.")
    assert quarantine_is_fatal(ingest_files(discover([tmp_path]), IngestConfig(), ())) is None
    (tmp_path / "bad.png").write_bytes(b"\x89PNG")
    (tmp_path / "empty.txt").write_bytes(b"")
    message = quarantine_is_fatal(ingest_files(discover([tmp_path]), IngestConfig(), ()))
    folder = tmp_path.name
    assert message == f"2 input(s) quarantined (first: {folder}/bad.png: unsupported file type '.png'); fix or remove them, or run without --strict"


def test_pipes_and_links_are_accounted_for_not_opened_or_followed(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "real.txt").write_text("A wire transfer costs fifteen dollars within the country.")
    os.mkfifo(folder / "pipe.txt")
    (folder / "link.txt").symlink_to(folder / "real.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("A file outside the source folder, reached through a link.")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    result = ingest_files(discover([folder]), IngestConfig(), ())
    assert [(o.path, o.status, o.reason) for o in result.outcomes] == [
        ("in/link.txt", "quarantined", "symbolic link refused (could point outside the source)"),
        ("in/linked-folder", "quarantined", "symbolic link refused (could point outside the source)"),
        ("in/pipe.txt", "quarantined", "not a regular file (a pipe, socket or device); copy the data into a file"),
        ("in/real.txt", "records", ""),
    ]


_MEASURE_STAGE = """
import resource, sys
from pathlib import Path
from appliance.pipeline import open_context, run_stage
ctx = open_context(Path(sys.argv[2]), config_file=Path(sys.argv[3]), sources=(Path(sys.argv[1]),), echo=lambda line: None, create=True)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
record = run_stage("ingest", ctx).record
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024, record.counts["records_out"])
"""


def test_the_stage_streams_unique_records_into_the_vault_without_holding_them(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    rng = random.Random(3)
    with (source / "unique.txt").open("w") as handle:
        while handle.tell() < 24 * 1024 * 1024:  # every chunk different: nothing is dropped as a duplicate
            handle.write("\n\n".join(samples.sentences(rng, rng.randint(2, 6)) for _ in range(200)) + "\n\n")
    size = (source / "unique.txt").stat().st_size
    config = tmp_path / "run.yaml"
    # Near-duplicates off: what is left to grow with the records is the exact-dup key set (~100 bytes a record).
    config.write_text("ingest:\n  workers: 1\n  stream_above_bytes: 1048576\n  near_duplicate_threshold: null\n")
    env = {**os.environ, "APPLIANCE_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-c", _MEASURE_STAGE, str(source), str(tmp_path / "run"), str(config)], capture_output=True, text=True, check=True, env=env)
    growth, records = map(int, out.stdout.split())
    assert records > 20_000
    # Held in a list, the records would take more than the file (~1.7x measured); streamed, a few MB.
    assert growth < size / 2, f"peak memory grew {growth} bytes for {records} records from a {size}-byte file"



_MEASURE_RECORDS = """
import json, random, resource, sys
from pathlib import Path
from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_into, neardup, samples

neardup.BITMAP_BITS = 1 << 22  # its cap, reached here by ~4,000 records (16 MiB, the product's, by ~130,000)
path, records, first = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
peaks = []

class PeakSink:  # keeps nothing (the stage's sink streams to the vault): only ingest's own memory shows
    count = 0
    def add(self, record, sidecar):
        self.count += 1
        if self.count in (first, records):
            peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    def mark(self): return (self.count,)
    def roll_back(self, mark): self.count = mark[0]

rng = random.Random(records)
with path.open("w") as handle:
    for i in range(records):  # every record different: each one is kept and indexed
        handle.write(json.dumps({"text": f"Note {i}. " + samples.sentences(rng, 2), "outcome": rng.choice(["approved", "declined"])}) + "\\n")
config = IngestConfig(workers=1, stream_above_bytes=1 << 16, label_column="outcome")
result = ingest_into(PeakSink(), discover([path]), config, (), task="classification")
print(*peaks, result.records_out)
"""


def test_duplicate_indexes_do_not_grow_with_the_records_kept(tmp_path: Path) -> None:
    # The peak after 16,000 kept records (the page cache, bitmaps and buffer are full by then) and after 44,000.
    script = [sys.executable, "-c", _MEASURE_RECORDS, str(tmp_path / "unique.jsonl"), "44000", "16000"]
    small, large, kept = map(int, subprocess.run(script, capture_output=True, text=True, check=True).stdout.split())
    assert kept == 44_000
    # Held in memory, the indexes took ~1 KB a kept record: 28 MB more at the end. On disk: allocator noise.
    assert large - small < 4 * 2**20, f"peak grew from {small / 2**20:.1f} MiB to {large / 2**20:.1f} MiB over 28,000 more kept records"
