"""Benchmark detection: plain Presidio against our Scrubber, on the same texts, in one process.

    .venv/bin/python scripts/bench_scrub.py /work/shared/data/pii/presidio_synth_v2.jsonl
    .venv/bin/python scripts/bench_scrub.py GOLD.jsonl --workers 2 --policy default

(a) plain Presidio: AnalyzerEngine with its default recognizers on the pinned spaCy model
    (full pipeline), one analyze() call per text, all its entity types;
(b) our Scrubber: batched nlp.pipe, unused spaCy components off, the policy's recognizers;
(c) with --workers N > 1: (b) spread over N processes by scrubbers.parallel.
Both recalls are token-level, type-agnostic, with the default label map (scrubbers.evaluation).
Warm-up (model loads) is excluded from every timing. Prints counts and rates only, never text.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import appliance  # noqa: F401  (offline switches)
from policies.loader import load_policy
from scrubbers.detect_file import read_jsonl
from scrubbers.evaluation import Span, evaluate
from scrubbers.nlp import NLP_CONFIGURATION


def plain_presidio(texts: list[str]) -> tuple[float, list[list[Span]]]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    configuration = {"nlp_engine_name": "spacy", "models": NLP_CONFIGURATION["models"]}
    analyzer = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=configuration).create_engine(), supported_languages=["en"])
    analyzer.analyze(text="warm up John Smith 555-123-4567", language="en")
    started = time.perf_counter()
    found = [[Span(r.start, r.end, r.entity_type) for r in analyzer.analyze(text=text, language="en")] for text in texts]
    return time.perf_counter() - started, found


def our_scrubber(texts: list[str], policy_name: str, workers: int) -> tuple[float, list[list[Span]]]:
    from scrubbers.parallel import parallel_detect

    policy = load_policy(policy_name)
    with parallel_detect(policy, workers=workers) as detect:
        # Enough warm-up batches that every worker has loaded its models before the clock starts.
        list(detect(["warm up John Smith 555-123-4567"] * 64 * max(1, workers) * 2))
        started = time.perf_counter()
        found = [[Span(f.start, f.end, f.entity_type) for f in findings] for findings in detect(texts)]
        return time.perf_counter() - started, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--policy", default="default")
    parser.add_argument("--workers", type=int, default=1, help="processes for our scrubber (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the texts to lengthen the run")
    args = parser.parse_args(argv)
    gold = list(read_jsonl(args.gold)) * args.repeat
    texts = [record["text"] for record in gold]
    characters = sum(len(text) for text in texts)
    rows = []
    for name, run in (("presidio", lambda: plain_presidio(texts)), (f"scrubber x{args.workers}", lambda: our_scrubber(texts, args.policy, args.workers))):
        seconds, found = run()
        report = evaluate(gold, found)
        rows.append((name, seconds, characters / seconds, report.token.recall, report.token.precision))
    print(f"{len(texts)} texts, {characters} characters")
    print(f"{'engine':<16}{'seconds':>9}{'chars/s':>11}{'recall':>8}{'precision':>11}")
    for name, seconds, rate, recall, precision in rows:
        print(f"{name:<16}{seconds:>9.2f}{rate:>11.0f}{recall:>8.3f}{precision:>11.3f}")
    print(f"speed-up: {rows[1][2] / rows[0][2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
