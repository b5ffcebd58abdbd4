"""Benchmark ingest: a generated mixed corpus, read with one worker and with all of them, side by side.

    .venv/bin/python scripts/bench_ingest.py --files 2000
    .venv/bin/python scripts/bench_ingest.py --files 2000 --big-mb 200   # plus one large streamed text file

Each run is a fresh process, so its peak memory is its own: "peak RSS main" is the main process,
"peak RSS all" the largest sum over the main process and its workers, sampled every 20 ms.
"main CPU s" is the main process's own CPU time: with workers, the part that stays serial
(discovery, merging, duplicate checks). Identical records from every run are checked, not assumed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _tree_rss_sampler(stop: threading.Event, peak: list[int]) -> None:
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for process in [me, *me.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.02)


class DigestSink:
    """Keeps a 32-byte digest per record instead of the record: memory as in the stage, which streams to the vault."""

    def __init__(self) -> None:
        self.digests: list[bytes] = []

    def add(self, record, sidecar) -> None:
        self.digests.append(hashlib.sha256(json.dumps(record.to_json(), sort_keys=True).encode()).digest())

    def mark(self) -> tuple[int, ...]:
        return (len(self.digests),)

    def roll_back(self, mark: tuple[int, ...]) -> None:
        del self.digests[mark[0] :]


def run_once(corpus: Path, workers: int) -> dict:
    """One ingest in this process; what the parent prints."""
    from appliance.config import IngestConfig
    from appliance.ingest import discover, ingest_into

    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_tree_rss_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    files = discover([corpus])
    sink = DigestSink()
    result = ingest_into(sink, files, IngestConfig(workers=workers), ())
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    stop.set()
    sampler.join()
    peak_main = cpu_after.ru_maxrss * 1024
    digest = hashlib.sha256(b"".join(sink.digests))
    return {
        "workers": workers,
        "files": len(files),
        "bytes": sum(f.path.stat().st_size for f in files),
        "seconds": seconds,
        "cpu_main": cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime,
        "peak_main": peak_main,
        "peak_all": peak[0],
        "counts": result.counts(),
        "records_sha256": digest.hexdigest(),
    }


def measure(corpus: Path, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--run", str(corpus), "--workers", str(workers)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(title: str, runs: list[dict]) -> None:
    mb = runs[0]["bytes"] / 1e6
    print(f"\n{title}: {runs[0]['files']} files, {mb:.1f} MB; outcomes {json.dumps(runs[0]['counts'])}")
    print(f"  {'workers':>7} {'seconds':>8} {'files/s':>9} {'MB/s':>7} {'main CPU s':>10} {'peak RSS main':>14} {'peak RSS all':>13}")
    for run in runs:
        print(
            f"  {run['workers']:>7} {run['seconds']:>8.2f} {run['files'] / run['seconds']:>9.1f} {mb / run['seconds']:>7.2f} {run['cpu_main']:>10.2f}"
            f" {run['peak_main'] / 2**20:>10.0f} MiB {run['peak_all'] / 2**20:>9.0f} MiB"
        )
    if len(runs) > 1:
        print(f"  speed-up {runs[0]['seconds'] / runs[-1]['seconds']:.2f}x with {runs[-1]['workers']} workers over 1")
        same = len({run["records_sha256"] for run in runs}) == 1
        print(f"  identical records across worker counts: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="mixed-corpus size (at least 2000 for the published numbers)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the 'all workers' run (default: one per CPU)")
    parser.add_argument("--big-mb", type=int, default=0, help="also time one generated text file of this many MB (streamed)")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_once(args.run, args.workers)))
        return
    from appliance.ingest import samples

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        corpus = Path(tmp) / "corpus"
        started = time.perf_counter()
        samples.write_corpus(corpus, args.files, seed=1)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f}s ({', '.join(samples.SAMPLE_KINDS)})")
        counts = sorted({1, args.workers})
        report("mixed corpus", [measure(corpus, workers) for workers in counts])
        if args.big_mb:
            big = Path(tmp) / "big"
            big.mkdir()
            rng = random.Random(2)
            with (big / "large.txt").open("w") as handle:
                while handle.tell() < args.big_mb * 1_000_000:
                    handle.write("\n\n".join(samples.sentences(rng, rng.randint(1, 6)) for _ in range(500)) + "\n\n")
            report("one large text file (streamed in the main process)", [measure(big, 1)])


if __name__ == "__main__":
    main()
