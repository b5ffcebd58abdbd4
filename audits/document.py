"""The report's sections as blocks (audits/blocks.py): what report.html and report.pdf both show.

Example:
    >>> [section.id for section in document(report)][:3]
    ['summary', 'lineage', 'redaction']
"""

from __future__ import annotations

from typing import Any

from audits.blocks import Block, Bullets, Cards, Chart, Code, Heading, Paragraph, Section, Table, fmt, mapping_table
from audits.charts import ADAPTER, BASE, DATA, bar_chart_svg, line_chart_svg
from audits.fairness_report import fairness_blocks
from audits.regulatory import SECTION_TITLES

STATUS_ORDER = {"fail": 0, "pass": 1, "not_applicable": 2}


def summary_blocks(report: dict[str, Any]) -> list[Block]:
    gates = sorted(report.get("gates", []), key=lambda g: STATUS_ORDER.get(g["status"], 3))
    counts = {status: sum(g["status"] == status for g in gates) for status in STATUS_ORDER}
    inputs, training, redaction, evaluation = report["inputs"].get("counts", {}), report["training"].get("counts", {}), report["redaction"].get("counts", {}), report.get("evaluation", {})
    dp = report["privacy"].get("dp")
    cards = (
        ("Gates", f"{counts['pass']} pass · {counts['fail']} fail", f"{counts['not_applicable']} not applicable"),
        ("Input files", fmt(inputs.get("files_in")), f"{fmt(inputs.get('files_quarantined'))} quarantined"),
        ("PII redacted", fmt(redaction.get("findings")), f"residual {fmt(redaction.get('residual_findings'))} suspected"),
        ("Privacy", f"ε = {fmt(dp['epsilon'], 2)}" if dp else "no DP", f"δ = {dp['delta']:.1e}" if dp else "no formal guarantee"),
        ("Training records", fmt(training.get("train_records")), f"{fmt(training.get('validation_records'))} held out"),
        ("Held-out loss", fmt((evaluation.get("adapter") or {}).get("loss")), f"base {fmt((evaluation.get('base') or {}).get('loss'))}"),
    )
    failed = [g["name"] for g in gates if g["status"] == "fail"]
    verdict = (
        f"{len(failed)} of {len(gates)} compliance gates failed ({', '.join(failed)}): the adapter must not be released as it is."
        if failed
        else f"All {counts['pass']} applicable compliance gates passed under policy '{report['policy'].get('name')}'; {counts['not_applicable']} could not be judged on this data."
    )
    objectives = (report.get("objectives") or {}).get("counts") or {}
    if sum(objectives.values()):
        verdict += f" Objectives: {objectives.get('met', 0)} met, {objectives.get('missed', 0)} missed, {objectives.get('not_measured', 0)} not measured (section 2)."
    # One line per gate keeps every verdict on the first screen; the full detail is in report.json
    # and in the section each gate belongs to.
    rows = tuple((g["name"], g["status"], fmt(g.get("value")), fmt(g.get("threshold")), first_clause(g.get("detail", ""))) for g in gates)
    return [
        Paragraph(verdict, "warning" if failed else "plain"),
        Cards(cards),
        Table(("Gate", "Status", "Measured", "Threshold", "What was checked"), rows, status_column=1, widths=(2.6, 0.8, 0.9, 0.9, 5.5)),
    ]


def first_clause(text: str, limit: int = 80) -> str:
    clause = text.split(";")[0].split(" (95% CI")[0].strip()
    return clause if len(clause) <= limit else clause[: limit - 1].rstrip() + "…"


def lineage_blocks(report: dict[str, Any]) -> list[Block]:
    inputs, lineage = report["inputs"], report.get("lineage", {})
    blocks: list[Block] = [
        Paragraph("Every input file is accounted for: read, filtered, quarantined or a duplicate. Raw records stay sealed in the vault outside the run directory; only redacted records enter training."),
        Table(("Step", "Count"), tuple((row["step"], fmt(row["count"])) for row in lineage.get("flow", [])), "From input files to the records the model was trained and evaluated on.", widths=(3, 1)),
        mapping_table(inputs.get("counts", {}), ("Ingest count", "Value")),
        mapping_table(inputs.get("files_by_format", {}), ("File format", "Files")),
        mapping_table(inputs.get("records_by_kind", {}), ("Record kind", "Records")),
    ]
    if inputs.get("filtered_by_reason"):
        blocks.append(mapping_table(inputs["filtered_by_reason"], ("Filtered because", "Records")))
    quarantined = inputs.get("quarantined", [])
    blocks.append(Table(("Quarantined file", "Reason"), tuple((q["path"], q["reason"]) for q in quarantined), widths=(2, 3)) if quarantined else Paragraph("No file was quarantined.", "note"))
    blocks.append(Table(
        ("Stage", "Finished", "Inputs", "Outputs", "Fingerprint"),
        tuple((s["stage"], s["finished"], fmt(s["inputs"]), fmt(s["outputs"]), s["fingerprint"][:16]) for s in lineage.get("stages", [])),
        "Each stage's record in the manifest: its inputs and outputs are hashed; the fingerprint covers parameters, policy and inputs.",
        code_columns=(4,), widths=(1, 2, 0.8, 0.8, 1.6),
    ))
    return blocks


def redaction_blocks(report: dict[str, Any]) -> list[Block]:
    redaction = report["redaction"]
    found, operators = redaction.get("findings_by_type", {}), redaction.get("operators", {})
    residual = redaction.get("residual") or {}
    recall = redaction.get("estimated_recall")
    types = sorted(set(found) | set(operators) | set(residual.get("by_type", {})))

    def recall_of(entity: str) -> str:
        if isinstance(recall, dict):
            return fmt(recall.get(entity))
        return "not measured" if recall is None else "–"

    rows = tuple((t, operators.get(t, "replace"), fmt(found.get(t, 0)), fmt(residual.get("by_type", {}).get(t, 0)), recall_of(t)) for t in types)
    blocks: list[Block] = [
        Paragraph(
            f"Detector: Presidio with spaCy NER and the appliance's own recognizers, score threshold {fmt(redaction.get('score_threshold'), 2)}. "
            f"Policy '{report['policy'].get('name')}': {report['policy'].get('description', '')}"
        ),
        Table(("Entity type", "Operator", "Found and redacted", "Residual (re-scan)", "Estimated recall"), rows, f"{fmt(redaction.get('counts', {}).get('findings'))} findings in {fmt(redaction.get('counts', {}).get('records_in'))} records.", widths=(2, 1.2, 1.3, 1.3, 1.2)),
    ]
    if isinstance(recall, (int, float)) and not isinstance(recall, bool):
        blocks.append(Paragraph(f"Estimated recall over all types: {fmt(recall)}."))
    if redaction.get("dropped_by_reason"):
        blocks.append(mapping_table(redaction["dropped_by_reason"], ("Records dropped by policy because", "Records")))
    blocks.append(Table(
        ("Residual scan", "Value"),
        (("Records scanned", fmt(residual.get("records_scanned"))), ("Suspected leaks", fmt(residual.get("findings"))), ("Per record", fmt(residual.get("rate"))), ("Policy maximum per record", fmt(residual.get("max_rate")))),
        "A second, differently configured detector re-scans the redacted corpus. Locations (record id, field, offsets) are in scrub/residual.json; values are never recorded.",
        widths=(2, 1),
    ))
    return blocks


DP_ROWS = (
    ("epsilon", "Epsilon (ε)", "privacy loss bound: smaller is stronger"),
    ("delta", "Delta (δ)", "probability the bound does not hold"),
    ("privacy_unit", "Privacy unit", "what one unit of protection covers"),
    ("accountant", "Accountant", "how the privacy loss was counted"),
    ("noise_multiplier", "Noise multiplier", "noise standard deviation / clipping norm"),
    ("sample_rate", "Sampling rate", "chance each unit is in a step's batch"),
    ("steps", "Steps", "noisy optimizer steps counted"),
    ("max_grad_norm", "Clipping norm", "largest per-unit gradient norm"),
)


def privacy_blocks(report: dict[str, Any]) -> list[Block]:
    privacy = report["privacy"]
    dp = privacy.get("dp")
    blocks: list[Block] = [Paragraph(privacy.get("statement", ""), "plain" if dp else "warning")]
    if dp:
        blocks.append(Table(("Parameter", "Value", "Meaning"), tuple((label, fmt(dp.get(key), 4), meaning) for key, label, meaning in DP_ROWS), widths=(1.3, 1, 2.5)))
        curve = [(p["step"], p["epsilon"]) for p in report["training"].get("curve", []) if p.get("epsilon") is not None]
        if len(curve) >= 2:
            blocks.append(Chart(line_chart_svg(curve, label="epsilon spent by step", x_label="optimizer step", y_label="epsilon", color="#7a3e9d", height=180), "Privacy budget (epsilon) spent by step"))
    plan = privacy.get("plan", {})
    if plan:
        rows = [("DP required by policy", fmt(plan.get("dp_required"))), ("DP enabled", fmt(plan.get("dp_enabled"))), ("Target epsilon", fmt(plan.get("target_epsilon"))), ("Policy maximum epsilon", fmt(plan.get("max_epsilon"))), ("Policy maximum delta", fmt(plan.get("max_delta"))), ("Problems found before training", fmt(plan.get("problems")) if plan.get("problems") else "none")]
        blocks.append(Table(("Privacy plan, checked before training", "Value"), tuple(rows), widths=(2, 1)))
    blocks.append(Paragraph(f"Outbound network connections attempted during the run: {privacy.get('outbound_connections_attempted', 0)}." + (" The sealed demographics sidecar was deleted after the audit, as the policy requires." if privacy.get("sidecar_deleted") else "")))
    return blocks


def training_blocks(report: dict[str, Any]) -> list[Block]:
    training = report["training"]
    base = training.get("base_model") or {}
    hardware = training.get("hardware") or {}
    trainable, total = training.get("trainable_parameters"), training.get("total_parameters")
    share = f" ({trainable / total:.2%} of {fmt(total)})" if trainable and total else ""
    rows = (
        ("Base model", f"{base.get('name', '–')} ({base.get('origin', '–')})"),
        ("Base model sha256", base.get("sha256", "–")),
        ("Method", f"{training.get('method', '–')}{' with DP-SGD' if report['privacy'].get('dp') else ''}"),
        ("Optimizer steps", fmt(training.get("steps"))),
        ("Trainable parameters", f"{fmt(trainable)}{share}"),
        ("Loss, first to last step", f"{fmt(training.get('first_loss'))} to {fmt(training.get('last_loss'))}"),
        ("Duration", f"{fmt(training.get('duration_s'), 1)} s"),
        ("Hardware", f"{hardware.get('device', '–')}, {hardware.get('threads', '–')} threads, {hardware.get('machine', '–')}"),
        ("Precision", {"fp32": "float32", "bf16": "bfloat16 (trained weights float32)"}.get(hardware.get("precision"), "float32 (not recorded)")),
        ("PyTorch", training.get("torch", "–")),
    )
    curve = [(p["step"], p["loss"]) for p in training.get("curve", []) if p.get("loss") is not None]
    return [
        Table(("Training", "Value"), rows, code_columns=(1,), widths=(1.2, 3)),
        Chart(line_chart_svg(curve, label="training loss by step", x_label="optimizer step", y_label="loss (nats/token)"), "Training loss by step"),
        mapping_table(training.get("hyperparameters") or {}, ("Hyperparameter", "Value")),
    ]


def evaluation_blocks(report: dict[str, Any]) -> list[Block]:
    evaluation = report.get("evaluation") or {}
    base, adapter = evaluation.get("base") or {}, evaluation.get("adapter") or {}
    rows = []
    for key, label in (("loss", "Loss (nats/token)"), ("perplexity", "Perplexity"), ("accuracy", "Label accuracy"), ("macro_f1", "Macro F1"), ("labelled", "Labelled records")):
        if key in base or key in adapter:
            change = adapter[key] - base[key] if isinstance(adapter.get(key), (int, float)) and isinstance(base.get(key), (int, float)) and key != "labelled" else None
            rows.append((label, fmt(base.get(key)), fmt(adapter.get(key)), fmt(change)))
    blocks: list[Block] = [
        Table(("Held-out metric", "Base model", "Adapter", "Change"), tuple(rows), f"{fmt(evaluation.get('records'))} held-out records, {fmt(evaluation.get('tokens'))} scored tokens. The split is by data subject where known, so no customer is on both sides."),
    ]
    if base.get("loss") is not None and adapter.get("loss") is not None:
        blocks.append(Chart(bar_chart_svg(["held-out loss"], [("base", BASE, [base["loss"]]), ("adapter", ADAPTER, [adapter["loss"]])], axis_label="nats per token (lower is better)"), "Held-out loss: base model vs adapter"))
    blocks += per_class_blocks(base, adapter)
    blocks += generation_blocks(evaluation.get("generation"))
    blocks += comparison_blocks(report.get("comparison"))
    blocks += review_blocks(report.get("review"))
    return blocks


def per_class_blocks(base: dict[str, Any], adapter: dict[str, Any]) -> list[Block]:
    per_class = adapter.get("per_class") or {}
    if not per_class:
        return []
    before = base.get("per_class") or {}
    rows = tuple(
        (label, fmt(s.get("support")), fmt((before.get(label) or {}).get("precision")), fmt(s.get("precision")), fmt((before.get(label) or {}).get("recall")), fmt(s.get("recall")), fmt(s.get("f1")))
        for label, s in per_class.items()
    )
    return [Table(("Label", "Held-out records", "Precision (base)", "Precision (adapter)", "Recall (base)", "Recall (adapter)", "F1 (adapter)"), rows, "Per class on held-out labelled records: the predicted label is the one the model scores most likely. Macro F1 is the unweighted mean of the per-class F1.")]


def generation_blocks(generation: dict[str, Any] | None) -> list[Block]:
    if not generation:
        return []
    found = generation.get("pii_by_type") or {}
    rows = (
        ("Held-out prompts answered", fmt(generation.get("records"))),
        ("Answers with PII detected", fmt(generation.get("answers_with_pii"))),
        ("PII findings in answers", fmt(generation.get("pii_emitted"))),
        ("By type", ", ".join(f"{t}: {n}" for t, n in sorted(found.items())) or "none"),
        ("Latency per answer, median / p95 (s)", f"{fmt(generation.get('latency_p50_s'))} / {fmt(generation.get('latency_p95_s'))}"),
        ("Generated tokens per second", fmt(generation.get("tokens_per_s"), 1)),
    )
    return [Heading("Generation sample"), Table(("Adapter answers, scrubbed", "Value"), rows, f"Greedy answers of at most {fmt(generation.get('max_new_tokens'))} new tokens to held-out prompts, run through the policy's PII detector. Only types and counts are recorded, never the text. Percentiles are nearest-rank: over a few answers the p95 is the slowest one.", widths=(2, 2))]


# The compare stage's metrics in the order a reviewer reads them: task quality, hallucination, safety, cost.
COMPARE_COLUMNS = (
    ("exact_match", "Exact match"), ("token_f1", "Token F1"), ("rouge_l", "ROUGE-L"), ("unsupported_rate", "Hallucination rate"),
    ("refusal_rate", "Refusal rate"), ("pii_emitted", "PII emitted"), ("latency_p50_s", "p50 latency (s)"), ("latency_p95_s", "p95 latency (s)"), ("tokens_per_s", "Tokens/s"),
)
RATE_METRICS = ("exact_match", "token_f1", "rouge_l", "unsupported_rate", "refusal_rate")
METHOD_COLOURS = {"prompt": BASE, "retrieval": DATA, "adapter": ADAPTER, "adapter+retrieval": "#7a3e9d"}


def comparison_blocks(comparison: dict[str, Any] | None) -> list[Block]:
    """Methods x metrics on the same held-out prompts: did fine-tuning earn its cost?"""
    if not comparison:
        return []
    methods = comparison["methods"]
    rows = tuple((m["name"], fmt(m.get("records")), *(fmt((m.get("metrics") or {}).get(key)) for key, _ in COMPARE_COLUMNS)) for m in methods)
    series = [(m["name"], METHOD_COLOURS.get(m["name"], "#555555"), [(m.get("metrics") or {}).get(key) for key in RATE_METRICS]) for m in methods]
    latency = [(m["name"], METHOD_COLOURS.get(m["name"], "#555555"), [(m.get("metrics") or {}).get("latency_p95_s")]) for m in methods]
    labels = dict(COMPARE_COLUMNS)
    definitions = comparison.get("definitions") or {}
    blocks: list[Block] = [
        Heading("Adaptation methods compared"),
        Paragraph("The same held-out prompts answered by each method: the base model with a prompt and few-shot examples, with retrieved passages, the fine-tuned adapter, and the adapter with retrieval. Fine-tuning earned its cost when the adapter beats the cheaper methods on task quality without more hallucination."),
        Table(("Method", "Prompts", *(label for _, label in COMPARE_COLUMNS)), rows, "Hallucination rate is the unsupported-content rate: entities, numbers and dates in an answer found in neither the prompt, the retrieved context nor the reference.", widths=(1.3, 0.7, *(1.15 if key == "unsupported_rate" else 0.8 for key, _ in COMPARE_COLUMNS))),
        Chart(bar_chart_svg([labels[key] for key in RATE_METRICS], series, axis_label="share of answers / overlap score (0 to 1)"), "Task quality and hallucination by method (higher is better for the first three, lower for hallucination and refusal)"),
        Chart(bar_chart_svg(["p95 latency"], latency, axis_label="seconds per answer (lower is better)"), "95th-percentile latency per answer by method"),
    ]
    if definitions:
        blocks.append(Bullets(tuple(f"{name}: {text}" for name, text in definitions.items())))
    return blocks


def review_blocks(review: dict[str, Any] | None) -> list[Block]:
    """Experts' blind grades: accuracy per answer type with its interval, and how much reviewers agreed."""
    if not review:
        return []
    rows = tuple(
        (method, fmt(m["graded"]), fmt(m["correct"]), fmt(m["partly"]), fmt(m["wrong"]), fmt(m["accuracy"]), f"[{fmt(m['accuracy_ci95'][0])}, {fmt(m['accuracy_ci95'][1])}]", fmt(m.get("preferred_share")))
        for method, m in review["methods"].items()
    )
    agreement = review.get("agreement") or {}
    kappa = "not measured (no answer was graded by two reviewers)" if agreement.get("kappa") is None else f"{agreement['statistic']} {fmt(agreement['kappa'])} over {agreement['answers']} answers"
    return [
        Heading("Domain expert review"),
        Paragraph(f"{review['items']} held-out questions graded blind by {review['reviewers']} reviewer(s) ({review['grades']} grade sheets); answers were shown in random order without their method. Agreement between reviewers: {kappa}."),
        Table(("Answer", "Graded", "Correct", "Partly", "Wrong", "Accuracy", "95% interval", "Preferred"), rows, "Accuracy is the share marked correct (partly counts as not correct); the interval is Wilson's."),
        Bullets(tuple(f"{name}: {text}" for name, text in review.get("definitions", {}).items())),
    ]


def compute_blocks(report: dict[str, Any]) -> list[Block]:
    compute = report.get("compute")
    if not compute:
        return [Paragraph("Compute was not recorded for this report.", "note")]
    flops = compute.get("training_flops") or {}
    power = compute.get("assumed_power") or {}
    measured = compute.get("energy_measured")
    energy_word = "measured" if measured else "estimated"
    rows = (
        ("Device", f"{compute.get('device', '–')}, {fmt(compute.get('threads'))} threads, {compute.get('machine') or '–'}"),
        ("Wall time, all stages", f"{fmt(compute.get('wall_seconds'), 1)} s"),
        ("Training tokens (real, not padding)", fmt(compute.get("training_tokens"))),
        ("Training FLOPs (estimate)", f"{flops['flops']:.3g} ({flops['formula']})" if flops else "–"),
        ("Full fine-tuning would take", f"{flops['full_fine_tuning_flops']:.3g} FLOPs (6 x parameters x tokens)" if flops else "–"),
        (f"Energy ({energy_word})", f"{fmt(compute.get('energy_kwh'), 4)} kWh ({fmt(compute.get('energy_joules'), 0)} J)"),
    )
    stage_rows = tuple((s["stage"], fmt(s["seconds"], 1), fmt(s.get("joules"), 0), s["energy_method"] + (f" ({', '.join(s['energy_sources'])})" if s.get("energy_sources") else "")) for s in compute.get("stages", []))
    caption = "Measured energy comes from hardware counters (RAPL, NVIDIA board energy). " + (
        "" if measured else f"ESTIMATE for stages without a counter: {power.get('basis', 'assumed power')} = {fmt(power.get('watts'), 0)} W, times wall time. It is an upper-bound guess, not a measurement."
    )
    return [
        Table(("Compute", "Value"), rows, "FLOPs follow Kaplan et al. (2020), about 6 FLOPs per parameter per token, attention ignored; with a frozen base only the trainable weights need weight gradients.", widths=(1.4, 3)),
        Table(("Stage", "Wall time (s)", "Energy (J)", "Energy from"), stage_rows, caption, widths=(1.2, 1, 1, 2.5)),
    ]


def objectives_blocks(report: dict[str, Any]) -> list[Block]:
    objectives = report.get("objectives") or {}
    verdicts = objectives.get("verdicts") or []
    if not verdicts:
        return [Paragraph("No objectives were set in the run config, so nothing here says what success means for this use case. `appliance init --use-case ...` writes a starter config with objectives and targets.", "note")]
    use = objectives.get("use_case") or "not stated"
    where = f" ({objectives['department']})" if objectives.get("department") else ""
    rule = (
        "These objectives are enforced: each one missed or not measured is also a failed gate (objectives.<metric>) and blocks release."
        if objectives.get("enforced")
        else "These objectives are the business's acceptance criteria, reported next to the policy's gates; a missed one does not fail the run (set objectives.enforce: true to make them gates)."
    )
    rows = tuple((v["metric"], v["status"], fmt(v["value"], 4), f"{v['op']} {fmt(v['target'], 4)}", v["source"]) for v in verdicts)
    counts = objectives.get("counts") or {}
    return [
        Paragraph(f"Use case: {use}{where}; task: {objectives.get('task') or '–'}. {rule}"),
        Table(("Objective", "Status", "Measured", "Target", "Measured where"), rows, f"{counts.get('met', 0)} met, {counts.get('missed', 0)} missed, {counts.get('not_measured', 0)} not measured. Not measured: the run did not produce this metric (e.g. no compare stage, or no labelled records).", status_column=1, widths=(1.4, 0.9, 0.9, 0.9, 3.2)),
        Bullets(tuple(f"{v['metric']}: {v['meaning']}." for v in verdicts)),
    ]


def regulatory_blocks(report: dict[str, Any]) -> list[Block]:
    regulatory = report["regulatory"]

    def where(sections: list[str]) -> str:
        return ", ".join(SECTION_TITLES.get(s, s) for s in sections) or "– (outside the report)"

    annex = tuple((r["item"], r["requirement"], where(r["sections"]), r["coverage"]) for r in regulatory["eu_ai_act_annex_iv"])
    nist = tuple((r["function"], r["evidence"], where(r["sections"]), r["human"]) for r in regulatory["nist_ai_rmf"])
    return [
        Paragraph("A guide for the auditor, not legal advice. 'answered': the report holds the evidence; 'partly': evidence here, judgement or organisational facts needed; 'human': outside what a run can know."),
        Heading("EU AI Act, Annex IV (technical documentation)"),
        Table(("Item", "Requirement", "Answered in", "Coverage"), annex, widths=(0.5, 3.5, 2, 0.8)),
        Heading("NIST AI RMF 1.0 functions"),
        Table(("Function", "Evidence in this report", "Answered in", "A human must"), nist, widths=(0.8, 3, 1.6, 2.2)),
        Heading("What a human must still complete"),
        Bullets(tuple(regulatory.get("human_must_complete", []))),
    ]


def evidence_blocks(report: dict[str, Any]) -> list[Block]:
    evidence = report.get("evidence", {})
    key = evidence.get("signing_key") or {}
    return [
        Paragraph(
            "The manifest lists every artefact with its sha256 and is signed with this installation's Ed25519 key (manifest.sig, public key in signing_key.pub). "
            f"This report embeds the sha256 of the manifest without its report stage, and every earlier artefact's hash. Check the whole run with `{evidence.get('verify_command', 'appliance verify RUN_DIR')}`, "
            f"or the signature alone with `{evidence.get('openssl_command', '')}`."
        ),
        Table(("Evidence", "Value"), (("Manifest sha256 (without report stage)", evidence.get("manifest_sha256", "–")), ("Signature", f"{key.get('algorithm', '–')}, {evidence.get('signature_file', '')}"), ("Signing key fingerprint", key.get("fingerprint", "–"))), code_columns=(1,), widths=(1.3, 3)),
        Code(key.get("public_key_pem", "").strip()),
        Table(("Artefact", "Bytes", "sha256"), tuple((a["path"], fmt(a["bytes"]), a["sha256"]) for a in report.get("artifacts", [])), "Every output of the earlier stages; vault: entries live in the sealed vault outside the run directory. The report's own files are hashed in the manifest, which is signed after they are written.", code_columns=(0, 2), widths=(2.2, 0.7, 3.6)),
    ]


def environment_blocks(report: dict[str, Any]) -> list[Block]:
    environment = report.get("environment", {})
    rows = [("Python", environment.get("python", "–")), ("Platform", environment.get("platform", "–")), ("appliance", report.get("appliance_version", "–"))]
    rows += [(name, version) for name, version in environment.get("packages", {}).items()]
    blocks: list[Block] = [Table(("Component", "Version"), tuple(rows), widths=(1.5, 2))]
    if report.get("models"):
        blocks.append(Table(("Model", "Package", "sha256"), tuple((m.get("name", ""), m.get("package", ""), m.get("sha256", "")) for m in report["models"]), code_columns=(2,), widths=(1.5, 1.6, 3)))
    return blocks


def limitations_blocks(report: dict[str, Any]) -> list[Block]:
    limits = report["limitations"]
    return [Heading("Intended use"), Bullets(tuple(limits["intended_use"])), Heading("Out of scope"), Bullets(tuple(limits["out_of_scope"])), Heading("Known limitations of this run"), Bullets(tuple(limits["limitations"]))]


BUILDERS = {
    "summary": summary_blocks,
    "objectives": objectives_blocks,
    "lineage": lineage_blocks,
    "redaction": redaction_blocks,
    "fairness": lambda report: fairness_blocks(report["fairness"], report["policy"].get("thresholds", {})),
    "privacy": privacy_blocks,
    "training": training_blocks,
    "evaluation": evaluation_blocks,
    "compute": compute_blocks,
    "limitations": limitations_blocks,
    "regulatory": regulatory_blocks,
    "environment": environment_blocks,
    "evidence": evidence_blocks,
}


def document(report: dict[str, Any]) -> list[Section]:
    """Every section in reading order, numbered by the renderer."""
    return [Section(id=name, title=SECTION_TITLES[name], blocks=build(report)) for name, build in BUILDERS.items()]
