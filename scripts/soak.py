"""Soak test: a generated mixed corpus of a given size through ingest and scrub, with peak memory sampled.

    .venv/bin/python scripts/soak.py --mb 50
    .venv/bin/python scripts/soak.py --mb 200 --keep /tmp/soak   # keep the corpus and run directory
    .venv/bin/python scripts/soak.py --mb 8 --officer-key        # pseudonyms sealed to an officer key

Both stages run through the library in this one process (as `appliance run` does); scrub worker
processes, if any, are included in "peak RSS all" (sampled every 50 ms over the process tree).
The corpus is mostly unique prose with synthetic PII (names, emails, phone numbers), spread over
large text, JSONL chat and CSV files (streamed by ingest) plus a few thousand small files of every
format. Each stage's peak is compared with its documented bound (constants below), printed as
"within" or "EXCEEDED".

With --officer-key, a fresh compliance officer key pair is made and its public half installed in a
temp APPLIANCE_HOME, the policy is the default one with PERSON and EMAIL_ADDRESS pseudonymised, and
the corpus has many distinct names (made-up surnames, PII in 90 % of paragraphs): the scrub stage then
seals every distinct (type, surrogate, original) pair, one per distinct name or e-mail address found,
into the run's re-identification vault.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

# Ingest (main process), documented in appliance/ingest/core.py: the duplicate indexes live on disk behind
# fixed memory (SQLite page cache 8 MiB, band-key bitmap 16 MiB, pending buffer 1 MiB), the same for any
# number of records. What still grows is the inventory's outcome per input file (~0.5 KB), not per record.
INDEX_MB = 26
OUTCOME_BYTES_PER_FILE = 512
WORKING_SET_MB = 256  # streaming buffers, one chunk of pooled results per worker in flight, allocator slack

# Scrub (all processes), from appliance/stages/scrub.py and scrubbers/parallel.py: the main process holds
# the batches in flight (workers x 2 x 64 records), their originals and counters; each worker holds its own
# imports, spaCy and Presidio (~610-625 MiB measured). Each worker's spaCy vocabulary used to keep every
# new token string (names, e-mail addresses, numbers; ~0.4 KB a record); batches now run in spaCy memory
# zones (scrubbers.nlp.transient_strings), so nothing here grows with the corpus. With the compliance
# officer's key installed and a pseudonym operator (--officer-key), the main process seals each distinct
# (type, surrogate, original) pair into the vault file as it arrives and finds it distinct through an
# on-disk set of keyed digests behind SQLite's 8 MiB page cache (appliance.scratch), so neither grows.
SCRUB_MAIN_MB = 128
SCRUB_WORKER_MB = 640

FIRST = ["Ana", "Bram", "Chen", "Dara", "Elif", "Femi", "Goran", "Hana", "Ivo", "Jun", "Kira", "Lars"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Silva", "Haddad", "Kowalski", "Brennan"]


class PeakSampler:
    """Peak RSS of this process and of its whole tree (worker processes included), sampled every 50 ms."""

    def __init__(self) -> None:
        self.main = self.tree = 0
        self.windows: list[tuple[int, int]] = []  # (main, tree) peak of each 10-second window, in order
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        window_end = time.monotonic() + 10
        window = (0, 0)
        while not self._stop.is_set():
            own = me.memory_info().rss
            total = own
            for process in me.children(recursive=True):
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.main, self.tree = max(self.main, own), max(self.tree, total)
            window = (max(window[0], own), max(window[1], total))
            if time.monotonic() >= window_end:
                self.windows.append(window)
                window, window_end = (0, 0), window_end + 10
            self._stop.wait(0.05)
        self.windows.append(window)

    def by_quarter(self) -> list[int]:
        """Peak RSS of the whole tree in each quarter of the stage's duration: flat when memory does not grow with progress."""
        count = len(self.windows)
        quarters = [self.windows[count * q // 4 : max(count * (q + 1) // 4, count * q // 4 + 1)] for q in range(4)]
        return [max(tree for _, tree in quarter) if quarter else 0 for quarter in quarters]


# Surnames made of three syllables (4,096 of them) for --officer-key, so the vault gets many distinct values.
SYLLABLES = ["ka", "lo", "mer", "vi", "dan", "so", "tri", "bel", "ru", "fen", "gar", "ho", "jul", "ne", "pas", "wen"]


def _pii_sentence(rng: random.Random, distinct_names: bool = False) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if distinct_names:
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    phone = f"+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return f"Please call {first} {last} on {phone} or write to {first.lower()}.{last.lower()}@example.com about it."


def _paragraph(rng: random.Random, distinct_names: bool = False) -> str:
    from appliance.ingest import samples

    text = samples.sentences(rng, rng.randint(2, 6))
    return f"{text} {_pii_sentence(rng, distinct_names)}" if rng.random() < (0.9 if distinct_names else 0.3) else text


def generate(root: Path, megabytes: int, seed: int = 0, distinct_names: bool = False) -> int:
    """About `megabytes` MB of mixed files under root; returns the bytes written.

    distinct_names: surnames drawn from 4,096 made-up ones (e-mail addresses follow), and a PII
    sentence in 90 % of paragraphs instead of 30 %, so pseudonymised values keep arriving.
    """
    from appliance.ingest import samples

    rng = random.Random(seed)
    paragraph = functools.partial(_paragraph, distinct_names=distinct_names)
    target = megabytes * 1_000_000
    small = max(200, min(3000, megabytes * 15))
    written = samples.write_corpus(root / "small", small, seed=seed)
    big = root / "big"
    big.mkdir(parents=True)
    part = 0
    while written < target:
        kind = ("txt", "jsonl", "csv")[part % 3]
        path = big / f"part{part:04d}.{kind}"
        with path.open("w", encoding="utf-8") as handle:
            if kind == "csv":
                handle.write("customer_id,text,outcome\n")
            while handle.tell() < min(20_000_000, target - written):
                if kind == "txt":
                    handle.write("\n\n".join(paragraph(rng) for _ in range(50)) + "\n\n")
                elif kind == "jsonl":
                    for _ in range(50):
                        chat = {"messages": [{"role": "user", "content": paragraph(rng)}, {"role": "assistant", "content": paragraph(rng)}]}
                        handle.write(json.dumps(chat) + "\n")
                else:
                    for _ in range(50):
                        handle.write(f"C{rng.randint(0, 10**6)},{json.dumps(paragraph(rng))},{rng.choice(['approved', 'declined'])}\n")
        written += path.stat().st_size
        part += 1
    return written


def pseudonym_policy(folder: Path) -> Path:
    """The default policy with PERSON and EMAIL_ADDRESS pseudonymised, written under folder."""
    import yaml

    from policies.loader import policy_path

    policy = yaml.safe_load(policy_path("default").read_text(encoding="utf-8"))
    policy["name"] = "soak-pseudonym"
    for entity in ("PERSON", "EMAIL_ADDRESS"):
        policy["entities"][entity] = {"operator": "pseudonym"}
    path = folder / "pseudonym-policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


def install_officer_key(folder: Path) -> None:
    """A fresh officer key pair: the private half stays under folder, the public half goes into APPLIANCE_HOME's keys."""
    from appliance.keys import keys_dir
    from scrubbers.reidentification import PUBLIC_KEY_FILE, generate_officer_key

    (folder / "officer").mkdir(mode=0o700)
    generate_officer_key(folder / "officer" / "reidentification.key", keys_dir() / PUBLIC_KEY_FILE)


def soak(corpus: Path, run_dir: Path, corpus_bytes: int, stages: tuple[str, ...], policy: Path | None = None) -> None:
    from appliance.pipeline import open_context, run_stage

    # Streamed above 4 MB, so each big file is read in pieces; the rest go to worker processes.
    overrides = {"ingest": {"stream_above_bytes": 4 * 1024 * 1024, "label_column": "outcome", "subject_column": "customer_id"}}
    ctx = open_context(run_dir, policy=str(policy) if policy else None, sources=(corpus,), overrides=overrides, echo=lambda line: None, create=True)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    mb = corpus_bytes / 1e6
    print(f"corpus {mb:.1f} MB; python {sys.version.split()[0]}, {os.cpu_count()} CPUs; RSS after imports {baseline / 2**20:.0f} MiB")
    total = 0.0
    for stage in stages:
        started = time.perf_counter()
        with PeakSampler() as peak:
            record = run_stage(stage, ctx, force=True).record
        seconds = time.perf_counter() - started
        total += seconds
        counts = {k: v for k, v in record.counts.items() if v}
        print(f"  {stage:<7} {seconds:>8.1f} s {mb / seconds:>7.2f} MB/s  peak RSS main {peak.main / 2**20:>6.0f} MiB, all processes {peak.tree / 2**20:>6.0f} MiB")
        print(f"          counts {json.dumps(counts)}")
        if seconds >= 40:  # shorter stages have too few 10-second windows to split
            quarters = ", ".join(f"{value / 2**20:.0f}" for value in peak.by_quarter())
            print(f"          peak RSS all processes by quarter of the stage (MiB): {quarters}")
        if stage == "ingest":
            files = record.counts["files_in"]
            bound = baseline + (INDEX_MB + WORKING_SET_MB) * 2**20 + OUTCOME_BYTES_PER_FILE * files
            verdict = "within" if peak.main <= bound else "EXCEEDED"
            print(
                f"          documented bound (main): imports + {INDEX_MB + WORKING_SET_MB} MiB + {OUTCOME_BYTES_PER_FILE} B x {files} input files"
                f" = {bound / 2**20:.0f} MiB (no per-record term) -> {verdict}"
            )
        if stage == "scrub":
            from appliance.stages.ingest import RAW_RECORDS
            from appliance.stages.scrub import scrub_workers

            records, workers = record.counts["records_in"], scrub_workers((ctx.run.vault / RAW_RECORDS).stat().st_size)
            bound = baseline + (SCRUB_MAIN_MB + workers * SCRUB_WORKER_MB) * 2**20
            verdict = "within" if peak.tree <= bound else "EXCEEDED"
            print(
                f"          documented bound (all processes): imports + {SCRUB_MAIN_MB} MiB + {workers} workers x {SCRUB_WORKER_MB} MiB"
                f" = {bound / 2**20:.0f} MiB for {records} records (no per-record term) -> {verdict}"
            )
            from scrubbers.reidentification import VAULT_FILE

            vault = ctx.run.vault / VAULT_FILE
            if policy is not None and vault.is_file():
                with vault.open("rb") as handle:
                    sealed = sum(1 for _ in handle) - 1  # less the header line
                print(f"          re-identification vault: {sealed} surrogates sealed ({vault.stat().st_size / 1e6:.1f} MB)")
    if len(stages) > 1:
        print(f"  total   {total:>8.1f} s {mb / total:>7.2f} MB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stages", default="ingest,scrub", help="comma-separated stages to run (default ingest,scrub)")
    parser.add_argument("--keep", type=Path, help="write corpus and run directory here and keep them (default: a temp folder)")
    parser.add_argument("--officer-key", action="store_true", help="install a fresh officer key and pseudonymise PERSON and EMAIL_ADDRESS (the vault grows)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="soak-"))
    # The corpus holds synthetic PII and the vault raw records: both stay in this folder, removed at the end.
    if args.officer_key:
        os.environ["APPLIANCE_HOME"] = str(folder / "home")  # never replace the officer key of a real installation
    else:
        os.environ.setdefault("APPLIANCE_HOME", str(folder / "home"))
    try:
        started = time.perf_counter()
        corpus_bytes = generate(folder / "corpus", args.mb, args.seed, distinct_names=args.officer_key)
        print(f"generated {corpus_bytes / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
        policy = None
        if args.officer_key:
            install_officer_key(folder)
            policy = pseudonym_policy(folder)
        soak(folder / "corpus", folder / "run", corpus_bytes, tuple(args.stages.split(",")), policy)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
