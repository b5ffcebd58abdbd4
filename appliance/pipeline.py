"""The ordered stages, run over a run directory; a stage whose inputs, parameters and policy are unchanged is skipped."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from appliance import offline
from appliance.config import RunConfig, config_yaml, load_config, parse_config
from appliance.errors import ApplianceError, GateFailed
from appliance.files import write_text
from appliance.models import DEFAULT_EMBEDDING_MODEL, DEFAULT_NER_MODEL, model_fingerprints
from appliance.records import StageRecord, dumps
from appliance.rundir import STAGES, RunDir, now
from appliance.stages import audit, compare, evaluate, ingest, report, scrub, train
from appliance.stages.context import StageContext
from policies import Policy, PolicyError, load_policy, policy_sha256
from policies.loader import parse_policy, policy_yaml

STAGE_MODULES: dict[str, ModuleType] = {"ingest": ingest, "scrub": scrub, "audit": audit, "train": train, "evaluate": evaluate, "compare": compare, "report": report}
assert tuple(STAGE_MODULES) == STAGES
OPTIONAL_STAGES = frozenset({"compare"})


@dataclass(frozen=True)
class StageRun:
    record: StageRecord
    skipped: bool


def open_context(
    run_root: Path,
    *,
    policy: str | None = None,
    config_file: Path | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    sources: tuple[Path, ...] = (),
    echo: Callable[[str], None] = print,
    create: bool = True,
    strict: bool = False,
) -> StageContext:
    """Resolve policy and config (flag > config file > the run's snapshot > defaults) and snapshot them."""
    run = RunDir.open(run_root, create=create)
    resolved_policy = _resolve_policy(run, policy)
    config = _resolve_config(run, config_file, overrides)
    snapshot = policy_yaml(resolved_policy)
    write_text(run.root / "policy.yaml", snapshot)
    write_text(run.root / "config.yaml", config_yaml(config))
    sha = policy_sha256(resolved_policy)
    from audits.report import package_versions

    environment = {**run.manifest.get("environment", {}), "packages": package_versions()}
    run.update_manifest(
        environment=environment,
        # sha256 identifies the policy's meaning (fingerprints use it); file_sha256 the snapshot's bytes,
        # which verify checks, so a later appliance whose schema gained defaults still verifies this run.
        policy={"name": resolved_policy.name, "sha256": sha, "file_sha256": hashlib.sha256(snapshot.encode()).hexdigest()},
        config_sha256=hashlib.sha256(config_yaml(config).encode()).hexdigest(),
        models=model_fingerprints([DEFAULT_NER_MODEL, *_retrieval_model(config)]) + _base_model_entry(config),
    )
    return StageContext(run=run, policy=resolved_policy, policy_sha256=sha, config=config, echo=echo, sources=sources, strict=strict)


def _retrieval_model(config: RunConfig) -> list[str]:
    """The embedding model, when a compared method retrieves passages with it."""
    return [DEFAULT_EMBEDDING_MODEL] if {"retrieval", "adapter+retrieval"} & set(config.evaluate.compare) else []


def _base_model_entry(config: RunConfig) -> list[dict[str, str]]:
    from appliance.models import REGISTRY

    name = config.train.base_model
    return model_fingerprints([name]) if name in REGISTRY else [{"name": Path(name).name, "package": "local folder", "sha256": "recorded by the train stage"}]


def _resolve_policy(run: RunDir, policy: str | None) -> Policy:
    try:
        if policy is not None:
            return load_policy(policy)
        snapshot = run.root / "policy.yaml"
        if snapshot.exists():
            return parse_policy(snapshot.read_text(encoding="utf-8"), origin=str(snapshot))
        return load_policy("default")
    except PolicyError as exc:
        raise ApplianceError(str(exc)) from None


def _resolve_config(run: RunDir, config_file: Path | None, overrides: dict[str, dict[str, Any]] | None) -> RunConfig:
    snapshot = run.root / "config.yaml"
    if config_file is None and snapshot.exists():
        import yaml

        base = yaml.safe_load(snapshot.read_text(encoding="utf-8")) or {}
        for section, values in (overrides or {}).items():
            base.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
        return parse_config(base, str(snapshot))
    return load_config(config_file, overrides)


def fingerprint(stage: str, params: dict[str, Any], policy_sha: str, inputs: list[Any]) -> str:
    material = dumps({"stage": stage, "params": params, "policy": policy_sha, "inputs": [[i.path, i.sha256] for i in inputs]})
    return hashlib.sha256(material.encode()).hexdigest()


def run_stage(name: str, ctx: StageContext, force: bool = False) -> StageRun:
    module = STAGE_MODULES[name]
    _require_previous(name, ctx.run)
    inputs = module.input_entries(ctx)
    params = module.params(ctx)
    print_ = ctx.echo
    key = fingerprint(name, params, ctx.policy_sha256, inputs)
    previous = ctx.run.stage_record(name)
    if not force and previous and previous.fingerprint == key and not ctx.run.changed_outputs(previous):
        print_(f"{name}: inputs, parameters and policy unchanged; skipped (use --force to re-run)")
        _check_strict(ctx, previous)
        return StageRun(previous, skipped=True)
    print_(f"{name}: running")
    started = now()
    before = offline.outbound_attempts()
    # Drop the old record first: a stage killed half-way must never look complete.
    ctx.run.forget_stage(name)
    output = module.execute(ctx)
    record = StageRecord(
        stage=name,
        fingerprint=key,
        started=started,
        finished=now(),
        params=params,
        inputs=inputs,
        outputs=[ctx.run.entry(p) for p in output.outputs],
        counts=output.counts,
        summary={**output.summary, "outbound_connections_attempted": offline.outbound_attempts() - before},
    )
    ctx.run.record_stage(record)
    print_(f"{name}: done")
    _check_strict(ctx, record)
    return StageRun(record, skipped=False)


def _check_strict(ctx: StageContext, record: StageRecord) -> None:
    verdict = record.summary.get("strict_verdict")
    if ctx.strict and verdict:
        raise ApplianceError(verdict)


def _require_previous(name: str, run: RunDir) -> None:
    index = STAGES.index(name)
    if index == 0:
        return
    # compare only adds a table to the report; a run without it is complete.
    missing = [s for s in STAGES[:index] if s not in OPTIONAL_STAGES and run.stage_record(s) is None]
    if missing:
        raise ApplianceError(f"{name} needs the {missing[0]} stage first: run `appliance {missing[0]} --run {run.root}` (or `appliance run`)")


def run_all(ctx: StageContext, force: bool = False, stages: tuple[str, ...] = STAGES) -> dict[str, StageRun]:
    """Every stage in order; raises GateFailed after the report is written when a gate fails."""
    results = {}
    # Every manifest write is signed as it is made (RunDir.save_manifest), so a failed or killed
    # stage leaves a signed manifest, and an edited one is refused rather than signed.
    with ctx.run.lock():
        for name in stages:
            results[name] = run_stage(name, ctx, force=force)
    report_run = results.get("report")
    if report_run and report_run.record.summary.get("failed_gates"):
        raise GateFailed(f"compliance gates failed: {', '.join(report_run.record.summary['failed_gates'])}; see {ctx.run.root / 'report' / 'report.html'}")
    return results
