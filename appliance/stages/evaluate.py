"""Stage 5: held-out loss and perplexity, base model vs adapter; classification metrics (accuracy,
macro F1, per-class precision/recall); for instruction data a small generation sample whose answers
are scanned for PII (types and counts only); per-group model fairness; and the model-based privacy
audit (membership inference, canary exposure, PII regurgitation)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from appliance.compute import EnergyMeter
from appliance.files import read_json, read_jsonl, write_json, write_jsonl
from appliance.models import resolve_base_model
from appliance.records import FileEntry, Record
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.ingest import SIDECAR
from appliance.stages.scrub import SCRUBBED
from appliance.stages.train import ADAPTER, SPLIT
from audits.qa_metrics import percentile  # the one percentile definition, shared with compare

PRIVACY_AUDIT = "privacy_audit.json"
COUNTERFACTUAL = "counterfactual.json"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    """The scrubbed corpus and what training recorded (split, adapter), as the manifest has them."""
    trained = ctx.run.stage_record("train")
    recorded = [f for f in trained.outputs if f.path.startswith((ADAPTER + "/", SPLIT))] if trained else []
    return [ctx.run.entry(ctx.run.root / SCRUBBED), *recorded]


def params(ctx: StageContext) -> dict[str, Any]:
    return {
        "evaluate": ctx.config.evaluate.model_dump(),
        # The task decides whether a generation sample runs.
        "task": ctx.config.task,
        "audit": ctx.config.audit.model_dump(),
        "max_seq_len": ctx.config.train.max_seq_len,
        "seed": ctx.config.train.seed,
        "fairness": ctx.policy.fairness.model_dump(),
    }


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))


def execute(ctx: StageContext) -> StageOutput:
    # Hardware energy counters where the machine has them; the report estimates the rest.
    with EnergyMeter() as meter:
        output = _evaluate(ctx)
    energy = meter.result()
    if energy["method"] == "measured":
        output.summary["energy"] = energy
    return output


def _evaluate(ctx: StageContext) -> StageOutput:
    from appliance.train.lm import load_tokenizer
    from appliance.train.scoring import label_logprobs, load_adapter, token_losses
    from audits import model_fairness

    split = read_json(ctx.run.root / SPLIT)
    by_id = {row["id"]: Record.from_json(row) for row in read_jsonl(ctx.run.root / SCRUBBED)}
    held_out = [by_id[i] for i in split["validation"] if i in by_id][: ctx.config.evaluate.max_records]
    labels = sorted({by_id[i].label for i in split["train"] if i in by_id and by_id[i].label})
    base = resolve_base_model(ctx.config.train.base_model)
    model = load_adapter(base.path, ctx.run.root / ADAPTER)
    tokenizer = load_tokenizer(ctx.run.root / ADAPTER)
    max_len = ctx.config.train.max_seq_len
    adapter_scores = token_losses(model, tokenizer, held_out, max_len)
    with model.disable_adapter():
        base_scores = token_losses(model, tokenizer, held_out, max_len)
    rows: list[dict[str, Any]] = []
    for record, adapted, original in zip(held_out, adapter_scores, base_scores, strict=True):
        if adapted is None or original is None or adapted[1] == 0:
            continue
        row: dict[str, Any] = {"record_id": record.id, "tokens": adapted[1], "adapter_loss": adapted[0] / adapted[1], "base_loss": original[0] / original[1]}
        if record.label and labels and record.text:
            row["y_true"] = record.label
            row["adapter_pred"] = _argmax(label_logprobs(model, tokenizer, record.text, labels, max_len=max_len))
            with model.disable_adapter():
                row["base_pred"] = _argmax(label_logprobs(model, tokenizer, record.text, labels, max_len=max_len))
        rows.append(row)
    metrics = {"records": len(rows), "tokens": sum(r["tokens"] for r in rows), "base": _aggregate(rows, "base", labels), "adapter": _aggregate(rows, "adapter", labels), "labels": labels}
    folder = ctx.run.stage_dir("evaluate")
    metrics_path = folder / "metrics.json"
    write_json(metrics_path, metrics)
    per_record_path = folder / "per_record.jsonl"
    write_jsonl(per_record_path, rows)
    outputs = [metrics_path, per_record_path]
    fairness_rows, sidecar_note = _with_attributes(ctx, rows)
    fairness = model_fairness(fairness_rows, fairness=ctx.policy.fairness) if fairness_rows else {"attributes": {}, "note": sidecar_note}
    fairness_path = folder / "fairness_model.json"
    write_json(fairness_path, fairness)
    outputs.append(fairness_path)
    detector = _Detector(ctx.policy)  # built on first use, shared by the regurgitation probe and the generation sample
    privacy = _privacy_audit(ctx, model, tokenizer, [by_id[i] for i in split["train"] if i in by_id], rows, detector)
    privacy_path = folder / PRIVACY_AUDIT
    write_json(privacy_path, privacy)
    outputs.append(privacy_path)
    summary: dict[str, Any] = {"metrics": metrics, "fairness_model": fairness, "privacy_audit": privacy}
    generation = _generation_sample(ctx, model, tokenizer, held_out, detector) if ctx.config.task == "instruction" and ctx.config.evaluate.generation_records else None
    if generation:
        generation_path = folder / "generation.json"
        write_json(generation_path, generation)
        outputs.append(generation_path)
        summary["generation"] = generation
        ctx.echo(f"  generation sample: {generation['records']} held-out prompts, {generation['pii_emitted']} PII findings ({generation['answers_with_pii']} answers with any), p95 latency {generation['latency_p95_s']}s")
    if ctx.config.audit.counterfactual_probe:
        from audits.counterfactual_probe import counterfactual_probe

        probe = counterfactual_probe(model, tokenizer, held_out, labels=labels, max_len=max_len, max_records=ctx.config.audit.counterfactual_records)
        probe_path = folder / COUNTERFACTUAL
        write_json(probe_path, probe)
        outputs.append(probe_path)
        summary["counterfactual"] = probe
        for axis, result in probe["axes"].items():
            ctx.echo(f"  counterfactual {axis}: {result['records']} prompts, mean answer gap adapter {result['adapter']['mean_gap']}, base {result['base']['mean_gap']}")
    if ctx.policy.privacy.delete_sidecar_after_audit and (ctx.run.vault / SIDECAR).exists():
        (ctx.run.vault / SIDECAR).unlink()
        summary["sidecar_deleted"] = True
        ctx.echo("  sealed demographics sidecar deleted, as the policy requires")
    b, a = metrics["base"], metrics["adapter"]
    ctx.echo(f"  held-out ({len(rows)} records): loss {b['loss']:.3f} -> {a['loss']:.3f}, perplexity {b['perplexity']:.1f} -> {a['perplexity']:.1f}")
    if "accuracy" in a:
        ctx.echo(f"  label accuracy: base {b['accuracy']:.2f}, adapter {a['accuracy']:.2f}; macro F1 base {b['macro_f1']:.2f}, adapter {a['macro_f1']:.2f} ({b['labelled']} labelled records)")
    return StageOutput(outputs=outputs, counts={"records_evaluated": len(rows)}, summary=summary)


class _Detector:
    """The policy's detector, detection only (no operator runs, so the hash salt is never used); built once, when first called."""

    def __init__(self, policy) -> None:
        self.policy, self._detect = policy, None

    def __call__(self, texts: list[str]) -> list[list]:
        if self._detect is None:
            from scrubbers.detect_file import DETECTION_ONLY_SALT
            from scrubbers.engine import Scrubber

            self._detect = Scrubber(self.policy, salt=DETECTION_ONLY_SALT).detect
        return self._detect(texts)


def _generation_sample(ctx: StageContext, model, tokenizer, held_out: list[Record], detector: _Detector | None = None) -> dict[str, Any] | None:
    """The adapter's greedy answers to a few held-out prompts, scanned with the policy's detector; None without prompts."""
    from appliance.baselines.generation import generate_answer
    from appliance.baselines.prompting import qa_items

    items = qa_items([record for record in held_out if record.messages])[: ctx.config.evaluate.generation_records]
    if not items:
        return None
    max_new_tokens = ctx.config.evaluate.max_new_tokens
    answers = [generate_answer(model, tokenizer, item.question, max_new_tokens=max_new_tokens, max_prompt_tokens=ctx.config.train.max_seq_len) for item in items]
    # Only types are kept; the answers are discarded here.
    findings = (detector or _Detector(ctx.policy))([answer.text for answer in answers])
    return generation_summary([a.latency_s for a in answers], [a.new_tokens for a in answers], [[f.entity_type for f in found] for found in findings], max_new_tokens=max_new_tokens)


def generation_summary(latencies: Sequence[float], new_tokens: Sequence[int], entity_types: Sequence[Sequence[str]], *, max_new_tokens: int) -> dict[str, Any]:
    """Counts and timings of a generation sample: PII types and counts per answer, never the text."""
    by_type = Counter(entity for found in entity_types for entity in found)
    seconds = sum(latencies)
    return {
        "records": len(latencies),
        "max_new_tokens": max_new_tokens,
        "pii_emitted": sum(by_type.values()),
        "answers_with_pii": sum(bool(found) for found in entity_types),
        "pii_by_type": dict(sorted(by_type.items())),
        "latency_p50_s": round(percentile(latencies, 0.5), 4) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 4) if latencies else None,
        "tokens_per_s": round(sum(new_tokens) / seconds, 2) if seconds > 0 else None,
    }


def _privacy_audit(ctx: StageContext, model, tokenizer, train_records: list[Record], rows: list[dict[str, Any]], detector: _Detector) -> dict[str, Any]:
    from audits.privacy.audit import privacy_audit

    audit = ctx.config.audit
    trained = ctx.run.stage_record("train")
    # The train stage records what it planted: {"seed", "count", "repeats"}; nothing planted, nothing to rank.
    canaries = (trained.summary.get("canaries") if trained else None) or None
    detect = detector if audit.regurgitation_samples else None
    result = privacy_audit(
        model, tokenizer, train_records=train_records, held_out_rows=rows, audit=audit, seed=ctx.config.train.seed,
        max_len=ctx.config.train.max_seq_len, max_members=ctx.config.evaluate.max_records, canaries=canaries, detect=detect,
        # The empirical epsilon bound is for the same (epsilon, delta) notion the training run claims.
        delta=((trained.summary.get("dp") if trained else None) or {}).get("delta", 0.0),
    )
    _echo_privacy(ctx, result)
    return result


def _echo_privacy(ctx: StageContext, result: dict[str, Any]) -> None:
    strongest = (result.get("membership") or {}).get("strongest")
    if strongest:
        ctx.echo(f"  membership inference: AUC {strongest['auc']} ({strongest['attack']} attack), empirical epsilon >= {strongest['empirical_epsilon']['epsilon_lower_bound']}")
    if result.get("canaries"):
        ctx.echo(f"  canary exposure: mean {result['canaries']['mean_exposure']} bits, max {result['canaries']['max_exposure']} ({result['canaries']['canaries']} canaries)")
    if result.get("regurgitation"):
        probe = result["regurgitation"]
        ctx.echo(f"  regurgitation: {probe['adapter_flagged']} of {probe['prompted']} continuations with PII-like spans (base model {probe['base_flagged']})")


def _argmax(scores: dict[str, float]) -> str:
    return max(sorted(scores), key=lambda label: scores[label])


def _aggregate(rows: list[dict[str, Any]], which: str, labels: Sequence[str] | None = None) -> dict[str, Any]:
    tokens = sum(r["tokens"] for r in rows)
    loss = sum(r[f"{which}_loss"] * r["tokens"] for r in rows) / tokens if tokens else float("nan")
    result: dict[str, Any] = {"loss": round(loss, 6), "perplexity": round(perplexity(loss), 4)}
    labelled = [r for r in rows if "y_true" in r]
    if labelled:
        from appliance.train.classification import classification_metrics

        scored = classification_metrics([r["y_true"] for r in labelled], [r[f"{which}_pred"] for r in labelled], labels=labels)
        result["accuracy"] = round(scored["accuracy"], 6)
        result["macro_f1"] = round(scored["macro_f1"], 6)
        result["per_class"] = {label: {k: round(v, 6) if isinstance(v, float) else v for k, v in scores.items()} for label, scores in scored["per_class"].items()}
        result["labelled"] = len(labelled)
    return result


def _with_attributes(ctx: StageContext, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    sidecar = ctx.run.vault / SIDECAR
    if not sidecar.exists():
        return [], "sealed sidecar not available (deleted per policy or never written)"
    from appliance.vault import read_sealed_jsonl

    attributes = {row["record_id"]: row["attributes"] for row in read_sealed_jsonl(sidecar)}
    joined = [{**row, "attributes": attributes[row["record_id"]]} for row in rows if row["record_id"] in attributes]
    return joined, "" if joined else "no held-out record has sensitive attributes"
