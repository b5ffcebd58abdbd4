"""`appliance diff`: what changed between two runs: policy, data counts, parameters, metrics, gates.

Reads only manifests, policy snapshots and report.json files, which never hold raw text.

Example:
    >>> [(c.section, c.key, c.before, c.after) for c in diff_runs(Path("runs/a"), Path("runs/b")).changes][:1]
    [('parameters', 'train.max_steps', 40, 60)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError

SECTIONS = ("policy", "data", "parameters", "metrics", "gates")
MISSING = "(absent)"


@dataclass(frozen=True)
class Change:
    section: str
    key: str
    before: Any
    after: Any


@dataclass
class RunDiff:
    run_a: str
    run_b: str
    changes: list[Change] = field(default_factory=list)

    def section(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.section == name]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys; lists stay whole values (compared as a unit)."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _load(root: Path) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise ApplianceError(f"{root} is not a run directory (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise ApplianceError(f"{manifest_path} cannot be read; check the run with `appliance verify {root}`") from None
    report_path = root / "report" / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    policy_path = root / "policy.yaml"
    policy = None
    if policy_path.is_file():
        import yaml

        policy = yaml.safe_load(policy_path.read_text(encoding="utf-8"))
    return manifest, report, policy


def _stage(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return manifest.get("stages", {}).get(name, {})


def _policy(manifest: dict[str, Any], policy: dict[str, Any] | None) -> dict[str, Any]:
    flat = {"name": manifest.get("policy", {}).get("name"), "sha256": manifest.get("policy", {}).get("sha256")}
    flat.update({f"rules.{k}": v for k, v in flatten(policy or {}).items() if k not in ("name", "description")})
    return flat


def _data(manifest: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for name, stage in manifest.get("stages", {}).items():
        flat.update({f"{name}.{key}": value for key, value in stage.get("counts", {}).items()})
    flat.update({f"redaction.findings_by_type.{k}": v for k, v in _stage(manifest, "scrub").get("summary", {}).get("findings_by_type", {}).items()})
    flat.update({f"inputs.records_by_kind.{k}": v for k, v in _stage(manifest, "ingest").get("summary", {}).get("records_by_kind", {}).items()})
    return flat


def _parameters(manifest: dict[str, Any]) -> dict[str, Any]:
    flat = {"appliance_version": manifest.get("appliance_version"), "config_sha256": manifest.get("config_sha256")}
    for name, stage in manifest.get("stages", {}).items():
        if name == "report":
            flat["signing_key"] = stage.get("params", {}).get("signing_key")  # its policy name is compared under policy
            continue
        # Policy sections copied into stage params are compared once, under "policy".
        params = {k: v for k, v in stage.get("params", {}).items() if k not in ("fairness", "privacy")}
        flat.update({f"{name}.{key}": value for key, value in flatten(params).items()})
    flat.update({f"models.{m.get('name')}": m.get("sha256") for m in manifest.get("models", [])})
    return flat


def _metrics(manifest: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    evaluation = _stage(manifest, "evaluate").get("summary", {})
    for side in ("base", "adapter"):
        flat.update({f"evaluation.{side}.{k}": v for k, v in evaluation.get("metrics", {}).get(side, {}).items()})
    train = _stage(manifest, "train").get("summary", {})
    flat.update({"training.first_loss": train.get("first_loss"), "training.last_loss": train.get("last_loss"), "training.steps": train.get("steps")})
    flat.update({f"privacy.{k}": v for k, v in (train.get("dp") or {}).items()})
    residual = _stage(manifest, "scrub").get("summary", {}).get("residual", {})
    flat.update({"redaction.residual_rate": residual.get("rate"), "redaction.residual_findings": residual.get("findings")})
    model = evaluation.get("fairness_model", {})
    for attribute, result in model.get("attributes", {}).items():
        gap = result.get("loss_gap") or {}
        flat.update({f"fairness.{attribute}.loss_gap.base": gap.get("base"), f"fairness.{attribute}.loss_gap.adapter": gap.get("adapter")})
        decisions = result.get("classification") or {}
        if decisions:
            flat[f"fairness.{attribute}.demographic_parity_difference.adapter"] = decisions.get("adapter", {}).get("demographic_parity_difference")
    data = _stage(manifest, "audit").get("summary", {}).get("fairness_data", {})
    for attribute, result in data.get("attributes", {}).items():
        flat[f"fairness_data.{attribute}.demographic_parity_difference"] = result.get("demographic_parity_difference")
    return {k: v for k, v in flat.items() if v is not None}


def _gates(report: dict[str, Any] | None) -> dict[str, Any]:
    if report is None:
        return {}
    flat = {"verdict": report.get("verdict")}
    flat.update({gate["name"]: f"{gate['status']} ({gate.get('value')})" for gate in report.get("gates", [])})
    return flat


def _compare(section: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    return [Change(section, key, a.get(key, MISSING), b.get(key, MISSING)) for key in sorted(set(a) | set(b)) if a.get(key, MISSING) != b.get(key, MISSING)]


def diff_runs(run_a: Path, run_b: Path) -> RunDiff:
    """Every difference between two runs, section by section (policy, data, parameters, metrics, gates)."""
    manifest_a, report_a, policy_a = _load(Path(run_a))
    manifest_b, report_b, policy_b = _load(Path(run_b))
    result = RunDiff(run_a=str(manifest_a.get("run_id")), run_b=str(manifest_b.get("run_id")))
    result.changes += _compare("policy", _policy(manifest_a, policy_a), _policy(manifest_b, policy_b))
    result.changes += _compare("data", _data(manifest_a), _data(manifest_b))
    result.changes += _compare("parameters", _parameters(manifest_a), _parameters(manifest_b))
    result.changes += _compare("metrics", _metrics(manifest_a), _metrics(manifest_b))
    result.changes += _compare("gates", _gates(report_a), _gates(report_b))
    return result
