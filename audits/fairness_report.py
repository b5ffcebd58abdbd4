"""The fairness section: tables and charts per attribute and group, from the shapes documented in
audits/fairness_data.py (training data) and audits/fairness_model.py (held-out model results).

Groups below the policy's minimum size are listed with their counts and marked, never compared.

Example:
    >>> blocks = fairness_blocks(report["fairness"], report["policy"].get("thresholds", {}))
    >>> [b.kind for b in blocks][:2]
    ['paragraph', 'heading']
"""

from __future__ import annotations

from typing import Any

from audits.blocks import Block, Chart, Heading, Paragraph, Table, fmt, interval
from audits.charts import ADAPTER, BASE, DATA, bar_chart_svg, interval_chart_svg

TOO_SMALL = "too small"


def _judged(entry: dict[str, Any], value: Any, digits: int = 3) -> str:
    return TOO_SMALL if entry.get("too_small") and value is None else fmt(value, digits)


def data_blocks(data: dict[str, Any]) -> list[Block]:
    """Who is in the training data, and how recorded outcomes differ by group."""
    if not data or not data.get("attributes"):
        missing = ", ".join(data.get("missing_attributes", [])) if data else ""
        return [Paragraph(f"No sensitive attribute was recorded in the training data{f' (missing: {missing})' if missing else ''}; representation could not be measured.", "note")]
    positive = data.get("positive_label")
    blocks: list[Block] = [
        Paragraph(
            f"{fmt(data.get('records'))} training records carry sensitive attributes; {fmt(data.get('labelled_records'))} carry a label. "
            f"The favourable outcome is '{positive}' ({str(data.get('positive_label_chosen_by') or 'none').replace('_', ' ')}). "
            f"Groups with fewer than {data.get('min_group_size')} records are listed but not compared."
        )
    ]
    for name, result in data["attributes"].items():
        groups = result.get("groups", {})
        blocks.append(Heading(f"Training data by {name}", 4))
        rows = tuple(
            (group, fmt(e.get("count")), fmt(e.get("share")), fmt(e.get("labelled")), _judged(e, e.get("positive_rate")), "no" if e.get("too_small") else "yes")
            for group, e in groups.items()
        )
        caption = (
            f"Demographic parity difference {fmt(result.get('demographic_parity_difference'))}, ratio {fmt(result.get('demographic_parity_ratio'))} "
            f"over {len(result.get('compared_groups', []))} compared groups; {fmt(result.get('missing_values'))} records without a value."
            + (f" {result['note']}." if result.get("note") else "")
        )
        blocks.append(Table(("Group", "Records", "Share", "Labelled", f"Rate of '{positive}'", "Compared"), rows, caption, widths=(2, 1, 1, 1, 1.4, 1)))
        series = [("share of records", DATA, [e.get("share") for e in groups.values()])]
        if any(e.get("positive_rate") is not None for e in groups.values()):
            series.append((f"rate of '{positive}'", ADAPTER, [e.get("positive_rate") for e in groups.values()]))
        blocks.append(Chart(bar_chart_svg(list(groups), series, axis_label="fraction (0 to 1)"), f"Share of records and rate of '{positive}' by {name}"))
    for intersection in data.get("intersections", []):
        a, b = intersection["attributes"]
        rows = tuple(
            (c["groups"][a], c["groups"][b], fmt(c.get("count")), fmt(c.get("share")), _judged(c, c.get("positive_rate")))
            for c in intersection.get("cells", []) if c.get("count")
        )
        blocks.append(Heading(f"Training data by {a} and {b}", 4))
        blocks.append(Table((a, b, "Records", "Share", f"Rate of '{positive}'"), rows, "Combinations with no record are omitted."))
    if data.get("missing_attributes"):
        blocks.append(Paragraph(f"Not recorded in the data, so not measured: {', '.join(data['missing_attributes'])}.", "note"))
    return blocks


def _loss_table(name: str, groups: dict[str, Any]) -> Table:
    rows = []
    for group, e in groups.items():
        base, adapter = e.get("base", {}), e.get("adapter", {})
        change = adapter["loss"] - base["loss"] if adapter.get("loss") is not None and base.get("loss") is not None else None
        rows.append((group, fmt(e.get("count")), fmt(e.get("tokens")), _judged(e, base.get("loss")), _judged(e, adapter.get("loss")), fmt(change), _judged(e, base.get("perplexity"), 2), _judged(e, adapter.get("perplexity"), 2)))
    return Table(("Group", "Records", "Tokens", "Base loss", "Adapter loss", "Change", "Base ppl", "Adapter ppl"), tuple(rows), f"Held-out loss (nats per token) by {name}; lower is better.", widths=(2, 1, 1, 1, 1, 1, 1, 1))


def _decision_table(name: str, groups: dict[str, Any]) -> Table:
    rows = []
    for group, e in groups.items():
        base, adapter = e.get("base", {}), e.get("adapter", {})
        small = bool(e.get("classified")) and adapter.get("accuracy") is None
        values = (base.get("accuracy"), adapter.get("accuracy"), base.get("selection_rate"), adapter.get("selection_rate"), adapter.get("false_positive_rate"), adapter.get("false_negative_rate"))
        rows.append((group, fmt(e.get("classified")), *(TOO_SMALL if small else fmt(v) for v in values)))
    return Table(("Group", "Decisions", "Base acc.", "Adapter acc.", "Base selection", "Adapter selection", "Adapter FPR", "Adapter FNR"), tuple(rows), f"Classification decisions on held-out records by {name}.", widths=(2, 1, 1, 1, 1, 1, 1, 1))


def _gap_table(result: dict[str, Any], thresholds: dict[str, Any]) -> Table:
    gap = result.get("loss_gap") or {}
    rows = [("Loss gap (max - min group loss)", interval(gap.get("base"), gap.get("base_ci")), interval(gap.get("adapter"), gap.get("adapter_ci")), fmt(gap.get("change")), fmt(thresholds.get("max_loss_gap_increase")))]
    decisions = result.get("classification") or {}
    if decisions:
        base, adapter = decisions.get("base", {}), decisions.get("adapter", {})
        rows.append(("Demographic parity difference", interval(base.get("demographic_parity_difference"), base.get("demographic_parity_difference_ci")), interval(adapter.get("demographic_parity_difference"), adapter.get("demographic_parity_difference_ci")), "–", fmt(thresholds.get("max_demographic_parity_difference"))))
        rows.append(("Demographic parity ratio", fmt(base.get("demographic_parity_ratio")), fmt(adapter.get("demographic_parity_ratio")), "–", "–"))
        rows.append(("Equalized odds difference", fmt(base.get("equalized_odds_difference")), fmt(adapter.get("equalized_odds_difference")), "–", "–"))
    widened = gap.get("gap_widened")
    caption = "The adapter widened the loss gap." if widened else ("The adapter did not widen the loss gap." if widened is not None else "")
    return Table(("Measure", "Base model", "Adapter", "Change", "Policy maximum"), tuple(rows), caption, widths=(2.2, 2, 2, 0.8, 1))


def model_blocks(model: dict[str, Any], thresholds: dict[str, Any]) -> list[Block]:
    """Does the adapter serve some groups worse than the base model did? Per group, with gaps and intervals."""
    if not model or not model.get("attributes"):
        return [Paragraph(f"No model fairness results: {model.get('note') or 'no held-out record carries sensitive attributes'}.", "note")]
    boot = model.get("bootstrap", {})
    blocks: list[Block] = [
        Paragraph(
            f"{fmt(model.get('evaluated_records'))} held-out records scored ({fmt(model.get('classified_records'))} with classification decisions). "
            f"Intervals are {fmt((boot.get('confidence') or 0.95) * 100, 0)}% percentile bootstrap intervals from {fmt(boot.get('resamples'))} resamples (seed {boot.get('seed')}); "
            f"groups with fewer than {model.get('min_group_size')} records are not compared."
        )
    ]
    for name, result in model["attributes"].items():
        groups = result.get("groups", {})
        blocks.append(Heading(f"Model on held-out data by {name}", 4))
        blocks.append(_loss_table(name, groups))
        blocks.append(Chart(
            bar_chart_svg(list(groups), [("base", BASE, [g.get("base", {}).get("loss") for g in groups.values()]), ("adapter", ADAPTER, [g.get("adapter", {}).get("loss") for g in groups.values()])], axis_label="held-out loss (nats per token)"),
            f"Held-out loss by {name}: base model (grey) and adapter (blue)",
        ))
        if any(g.get("classified") for g in groups.values()):
            blocks.append(_decision_table(name, groups))
        blocks.append(_gap_table(result, thresholds))
        gap = result.get("loss_gap") or {}
        rows = [("base loss gap", gap.get("base"), *(gap.get("base_ci") or [None, None])), ("adapter loss gap", gap.get("adapter"), *(gap.get("adapter_ci") or [None, None]))]
        decisions = result.get("classification") or {}
        if gap.get("adapter") is not None:
            blocks.append(Chart(interval_chart_svg(rows, axis_label="loss gap between groups (nats per token)"), f"Loss gap by {name} with 95% intervals; the gate limits how much fine-tuning may widen it (policy: +{thresholds.get('max_loss_gap_increase')} nats)"))
        if decisions and decisions.get("adapter", {}).get("demographic_parity_difference") is not None:
            dp_rows = [(f"{side} parity diff.", decisions[side].get("demographic_parity_difference"), *(decisions[side].get("demographic_parity_difference_ci") or [None, None])) for side in ("base", "adapter")]
            blocks.append(Chart(interval_chart_svg(dp_rows, axis_label="demographic parity difference", threshold=thresholds.get("max_demographic_parity_difference")), f"Demographic parity difference by {name} with 95% intervals"))
        notes = [n for n in (result.get("note"), result.get("classification_note"), decisions.get("note") if decisions else None) if n]
        if notes:
            blocks.append(Paragraph("; ".join(notes).capitalize() + ".", "note"))
    if model.get("missing_attributes"):
        blocks.append(Paragraph(f"Not recorded on held-out records, so not measured: {', '.join(model['missing_attributes'])}.", "note"))
    return blocks


def fairness_blocks(fairness: dict[str, Any], thresholds: dict[str, Any]) -> list[Block]:
    return [Heading("Training data, before training"), *data_blocks(fairness.get("data") or {}), Heading("Model on held-out data: base model vs adapter"), *model_blocks(fairness.get("model") or {}, thresholds)]
