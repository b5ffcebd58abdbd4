"""Open a run for serving: it must verify and its gates must pass; then load base model + adapter.

Example:
    served = load_run(Path("runs/r1"))            # raises ApplianceError / GateFailed
    served.model, served.tokenizer, served.policy
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError, GateFailed

log = logging.getLogger("appliance.serve")


@dataclass
class ServedRun:
    """Everything a server or chat needs from one run directory."""

    root: Path
    run_id: str
    model_id: str
    base_model: str
    policy: Any  # policies.schema.Policy
    failed_gates: list[str]
    model: Any = None
    tokenizer: Any = None


def check_run(run_dir: Path, *, allow_failed_gates: bool = False) -> tuple[str, list[str]]:
    """(run id, failed gate names) for a run that verifies; refuses one that does not, or whose gates failed."""
    from appliance.evidence import verify_run

    run_dir = Path(run_dir)
    result = verify_run(run_dir)
    if not result.ok:
        raise ApplianceError(
            f"{run_dir} does not verify ({len(result.differences)} difference(s) from its manifest); "
            f"run `appliance verify {run_dir}` to see them; a run that does not verify is never served"
        )
    report_path = run_dir / "report" / "report.json"
    if not report_path.is_file():
        raise ApplianceError(f"{run_dir} has no report/report.json; finish the run with `appliance report --run {run_dir}` first")
    gates = json.loads(report_path.read_text(encoding="utf-8")).get("gates", [])
    failed = [str(g.get("name")) for g in gates if g.get("status") == "fail"]
    if failed and not allow_failed_gates:
        raise GateFailed(
            f"{run_dir}: compliance gate(s) failed: {', '.join(failed)}; fix the run, "
            "or pass --allow-failed-gates to serve it anyway (logged)"
        )
    if failed:
        log.warning("serving run %s despite failed gates: %s (--allow-failed-gates)", result.run_id, ", ".join(failed))
    return result.run_id, failed


def run_policy(run_dir: Path):
    """The policy the run was made under (RUN/policy.yaml)."""
    from policies import PolicyError
    from policies.loader import parse_policy

    path = Path(run_dir) / "policy.yaml"
    if not path.is_file():
        raise ApplianceError(f"{run_dir} has no policy.yaml; it is not a complete run directory")
    try:
        return parse_policy(path.read_text(encoding="utf-8"), origin=str(path))
    except PolicyError as exc:
        raise ApplianceError(str(exc)) from None


def base_model_name(run_dir: Path) -> str:
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    try:
        return str(manifest["stages"]["train"]["params"]["train"]["base_model"])
    except (KeyError, TypeError):
        raise ApplianceError(f"{run_dir} has no train stage in its manifest; train an adapter with `appliance train --run {run_dir}`") from None


def load_run(run_dir: Path, *, allow_failed_gates: bool = False, device=None, load_model: bool = True) -> ServedRun:
    """Check the run, then load base model + adapter (on the GPU when there is one) and the tokenizer."""
    run_dir = Path(run_dir).resolve()
    run_id, failed = check_run(run_dir, allow_failed_gates=allow_failed_gates)
    served = ServedRun(
        root=run_dir,
        run_id=run_id,
        model_id=f"appliance-{run_id}",
        base_model=base_model_name(run_dir),
        policy=run_policy(run_dir),
        failed_gates=failed,
    )
    if load_model:
        from appliance.models import resolve_base_model
        from appliance.train.lm import load_tokenizer
        from appliance.train.scoring import load_adapter

        adapter_dir = run_dir / "train" / "adapter"
        if not (adapter_dir / "adapter_config.json").is_file():
            raise ApplianceError(f"{adapter_dir} holds no adapter; train one with `appliance train --run {run_dir}`")
        base = resolve_base_model(served.base_model)
        # Folding the LoRA weights into the base halves the cost of each token; serving never needs them apart.
        served.model = load_adapter(base.path, adapter_dir, device).merge_and_unload().eval()
        tokenizer_dir = adapter_dir if (adapter_dir / "tokenizer_config.json").is_file() else base.path
        served.tokenizer = load_tokenizer(tokenizer_dir)
    return served
