"""Benchmark detection: plain Presidio against our Scrubber, on the same texts, in one process.

    .venv/bin/python scripts/bench_scrub.py /work/shared/data/pii/presidio_synth_v2.jsonl
    .venv/bin/python scripts/bench_scrub.py GOLD.jsonl --workers 2 --policy default

(a) plain Presidio: AnalyzerEngine with its default recognizers on the pinned spaCy model
    (full pipeline), one analyze() call per text, all its entity types;
(b) our Scrubber: batched nlp.pipe, unused spaCy components off, the policy's recognizers;
    with --workers N > 1, spread over N processes by scrubbers.parallel.
Both recalls are token-level, type-agnostic, with the default label map (scrubbers.evaluation).

The engines take turns on slices of the corpus (`--slice` texts each), so on a shared,
busy machine both see the same load; wall seconds are summed per engine. With one worker
the CPU seconds of each engine are printed too: they do not depend on what else runs.
Warm-up (model loads, regex compilation) is excluded from every timing. Prints counts and
rates only, never text.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import appliance  # noqa: F401  (offline switches)
from policies.loader import load_policy
from scrubbers.detect_file import read_jsonl
from scrubbers.evaluation import Span, evaluate
from scrubbers.nlp import NLP_CONFIGURATION

WARM_UP = "warm up John Smith 555-123-4567 at 10 Main Street, jane@example.com"
Detect = Callable[[list[str]], list[list[Span]]]


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0


def plain_presidio() -> Detect:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    configuration = {"nlp_engine_name": "spacy", "models": NLP_CONFIGURATION["models"]}
    analyzer = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=configuration).create_engine(), supported_languages=["en"])
    analyzer.analyze(text=WARM_UP, language="en")
    return lambda texts: [[Span(r.start, r.end, r.entity_type) for r in analyzer.analyze(text=text, language="en")] for text in texts]


def timed(detect: Detect, texts: list[str], timing: Timing) -> list[list[Span]]:
    wall, cpu = time.perf_counter(), time.process_time()
    found = detect(texts)
    timing.wall += time.perf_counter() - wall
    timing.cpu += time.process_time() - cpu
    return found


def slices(items: list[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while piece := list(islice(iterator, size)):
        yield piece


def main(argv: list[str] | None = None) -> int:
    from scrubbers.parallel import parallel_detect

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--policy", default="default")
    parser.add_argument("--workers", type=int, default=1, help="processes for our scrubber (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the texts to lengthen the run")
    parser.add_argument("--limit", type=int, default=0, help="only the first N records (0: all)")
    parser.add_argument("--slice", type=int, default=256, help="texts per turn of each engine")
    args = parser.parse_args(argv)
    gold = list(read_jsonl(args.gold))
    gold = (gold[: args.limit] if args.limit else gold) * args.repeat
    texts = [record["text"] for record in gold]
    characters = sum(len(text) for text in texts)
    presidio = plain_presidio()
    timings = {"presidio": Timing(), "scrubber": Timing()}
    found: dict[str, list[list[Span]]] = {"presidio": [], "scrubber": []}
    with parallel_detect(load_policy(args.policy), workers=args.workers) as detect_findings:
        def ours(batch: list[str]) -> list[list[Span]]:
            return [[Span(f.start, f.end, f.entity_type) for f in findings] for findings in detect_findings(batch)]

        # Enough warm-up batches that every worker has loaded its models before the clock starts.
        ours([WARM_UP] * 64 * max(1, args.workers) * 2)
        for piece in slices(texts, args.slice):
            found["presidio"] += timed(presidio, piece, timings["presidio"])
            found["scrubber"] += timed(ours, piece, timings["scrubber"])
    print(f"{len(texts)} texts, {characters} characters, {args.workers} worker(s) for the scrubber")
    print(f"{'engine':<16}{'seconds':>9}{'chars/s':>11}{'cpu s':>8}{'recall':>8}{'precision':>11}")
    rates = {}
    for name, timing in timings.items():
        report = evaluate(gold, found[name])
        rates[name] = characters / timing.wall
        cpu = f"{timing.cpu:>8.2f}" if name == "presidio" or args.workers <= 1 else f"{'-':>8}"
        label = name if name == "presidio" else f"scrubber x{args.workers}"
        print(f"{label:<16}{timing.wall:>9.2f}{rates[name]:>11.0f}{cpu}{report.token.recall:>8.3f}{report.token.precision:>11.3f}")
    print(f"speed-up (wall): {rates['scrubber'] / rates['presidio']:.2f}x")
    if args.workers <= 1:
        print(f"speed-up (cpu):  {timings['presidio'].cpu / timings['scrubber'].cpu:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
