"""Benchmark detection: plain Presidio against our Scrubber, on the same texts, in one process.

    .venv/bin/python scripts/bench_scrub.py /work/shared/data/pii/presidio_synth_v2.jsonl
    .venv/bin/python scripts/bench_scrub.py GOLD.jsonl --workers 2 --policy default
    .venv/bin/python scripts/bench_scrub.py GOLD.jsonl --against-previous   # the scrub stage's work, new vs previous engine

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

--against-previous checks and times the scrub stage's own work (detect, redact, leak re-scan,
as one worker does it) with this checkout's engine against the previous one (scrubber version
3: the shared tok2vec running, NLP artifacts built token by token, Presidio's context enhancer,
NER re-run on every field in the re-scan), both in this process with the same recognizers. It prints how many records
differ in findings, redacted text or suspected leaks (the answer must be 0) and both CPU rates.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

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


def previous_nlp_engine() -> Any:
    """The NLP engine as scrubber version 3 ran it, for --against-previous."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

    from scrubbers.nlp import LANGUAGE, UNUSED_COMPONENTS, LowercaseLemmaNlpEngine

    class PreviousNlpEngine(LowercaseLemmaNlpEngine):
        is_stopword = SpacyNlpEngine.is_stopword
        is_punct = SpacyNlpEngine.is_punct

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> Any:
            artifacts = SpacyNlpEngine._doc_to_nlp_artifact(self, doc, language)
            artifacts.lemmas = [token.lower_ for token in doc]
            artifacts.keywords = NlpArtifacts.set_keywords(self, artifacts.lemmas, language)
            return artifacts

    engine = PreviousNlpEngine(models=NLP_CONFIGURATION["models"], ner_model_configuration=NerModelConfiguration.from_dict(NLP_CONFIGURATION["ner_model_configuration"]))
    engine.load()
    pipeline = engine.get_nlp(LANGUAGE)
    for name in UNUSED_COMPONENTS:
        if name in pipeline.pipe_names:
            pipeline.disable_pipe(name)
    return engine


def against_previous(texts: list[str], policy_name: str, slice_size: int) -> int:
    """Scrub and re-scan `texts` with the current and the previous engine; print differences and CPU rates."""
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    from appliance.records import Record, Source
    from scrubbers.detect_file import DETECTION_ONLY_SALT
    from scrubbers.engine import Scrubber
    from scrubbers.parallel import scrub_and_rescan
    from scrubbers.residual import ResidualScanner

    policy = load_policy(policy_name)
    source = Source("bench", "0" * 64)
    records = [Record(id=f"r{index}", kind="document", source=source, text=text) for index, text in enumerate(texts)]
    current = (Scrubber(policy, DETECTION_ONLY_SALT), ResidualScanner(policy))
    previous_engine = previous_nlp_engine()
    previous = (Scrubber(policy, DETECTION_ONLY_SALT, nlp_engine=previous_engine), ResidualScanner(policy, nlp_engine=previous_engine))
    # Presidio's own context enhancer, with the windows each pass used.
    previous[0].analyzer.context_aware_enhancer = LemmaContextAwareEnhancer()
    previous[1].analyzer.context_aware_enhancer = LemmaContextAwareEnhancer(context_prefix_count=10, context_suffix_count=3)

    def previous_stage(batch: list[Record]) -> list[Any]:
        outcomes = list(previous[0].scrub(batch))
        leaks = iter(previous[1].leaks([outcome.record for outcome in outcomes if outcome.record is not None]))
        return [dataclasses.replace(outcome, residual=tuple(next(leaks))) if outcome.record is not None else outcome for outcome in outcomes]

    engines: dict[str, Callable[[list[Record]], list[Any]]] = {"previous": previous_stage, "current": lambda batch: scrub_and_rescan(*current, batch)}
    for run in engines.values():
        run(records[:8])  # warm-up
    timings = {name: Timing() for name in engines}
    outcomes: dict[str, list[Any]] = {name: [] for name in engines}
    iterator = iter(records)
    while piece := list(islice(iterator, slice_size)):
        for name, run in engines.items():
            wall, cpu = time.perf_counter(), time.process_time()
            for start in range(0, len(piece), 64):  # one worker's batches (scrubbers.parallel)
                outcomes[name] += run(piece[start : start + 64])
            timings[name].wall += time.perf_counter() - wall
            timings[name].cpu += time.process_time() - cpu
    differ = {"findings": 0, "redacted": 0, "dropped": 0, "residual": 0}
    for old, new in zip(outcomes["previous"], outcomes["current"], strict=True):
        differ["findings"] += old.findings != new.findings
        differ["redacted"] += old.record != new.record
        differ["dropped"] += old.dropped_reason != new.dropped_reason
        differ["residual"] += old.residual != new.residual
    characters = sum(map(len, texts))
    findings = sum(len(outcome.findings) for outcome in outcomes["current"])
    leaks = sum(len(outcome.residual or ()) for outcome in outcomes["current"])
    print(f"{len(texts)} records, {characters} characters, {findings} findings, {leaks} suspected leaks; policy {policy_name}")
    print("records that differ, previous vs current: " + ", ".join(f"{name} {count}" for name, count in differ.items()))
    print(f"{'engine':<16}{'wall s':>9}{'cpu s':>8}{'chars/cpu s':>13}")
    for name, timing in timings.items():
        print(f"{name:<16}{timing.wall:>9.2f}{timing.cpu:>8.2f}{characters / timing.cpu:>13.0f}")
    print(f"speed-up (cpu): {timings['previous'].cpu / timings['current'].cpu:.2f}x")
    return 1 if any(differ.values()) else 0


def main(argv: list[str] | None = None) -> int:
    from scrubbers.parallel import parallel_detect

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--policy", default="default")
    parser.add_argument("--workers", type=int, default=1, help="processes for our scrubber (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the texts to lengthen the run")
    parser.add_argument("--limit", type=int, default=0, help="only the first N records (0: all)")
    parser.add_argument("--slice", type=int, default=256, help="texts per turn of each engine")
    parser.add_argument("--against-previous", action="store_true", help="compare the scrub stage's work with the previous engine (see above)")
    args = parser.parse_args(argv)
    gold = list(read_jsonl(args.gold))
    gold = (gold[: args.limit] if args.limit else gold) * args.repeat
    texts = [record["text"] for record in gold]
    if args.against_previous:
        return against_previous(texts, args.policy, args.slice)
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
