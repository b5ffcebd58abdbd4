"""Run the counterfactual probe (audits/counterfactual.py) with the adapter and the base model.

Labelled rows: the answer is the record's label; its log-probability and the predicted label
(argmax over the known labels) are taken after each variant of the text. Conversations: the
answer is the assistant turns, scored after each variant of the other turns. Documents without
a label have no answer and are skipped. Only ids, counts and scores leave this module.

Example:
    >>> counterfactual_probe(model, tokenizer, held_out, labels=["approved", "denied"], max_len=256)["axes"]["gender"]["mean_gap_increase"]
    0.03
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from appliance.records import Message, Record
from audits.counterfactual import load_lexicon, record_gap, summarise_axis, variants


def _label_scores(model, tokenizer, texts: dict[str, str], label: str, labels: Sequence[str], max_len: int) -> tuple[dict[str, float], dict[str, str]]:
    from appliance.train.scoring import label_logprobs

    logprobs, decisions = {}, {}
    for group, text in texts.items():
        scores = label_logprobs(model, tokenizer, text, labels, max_len=max_len)
        logprobs[group], decisions[group] = scores[label], max(sorted(scores), key=scores.get)
    return logprobs, decisions


def _chat_variants(record: Record, groups) -> dict[str, Record] | None:
    per_message = []
    for index, message in enumerate(record.messages or ()):
        swapped = None if message.role == "assistant" else variants(message.content, groups, seed=f"{record.id}:{index}")
        per_message.append(swapped)
    if not any(per_message):
        return None
    return {
        group: dataclasses.replace(record, messages=tuple(Message(m.role, swapped[group] if swapped else m.content) for m, swapped in zip(record.messages, per_message, strict=True)))
        for group in groups
    }


def _chat_scores(model, tokenizer, records: dict[str, Record], max_len: int) -> tuple[dict[str, float], dict[str, None]]:
    from appliance.train.scoring import token_losses

    scored = token_losses(model, tokenizer, list(records.values()), max_len)
    return {group: -loss for group, (loss, _) in zip(records, scored, strict=True)}, dict.fromkeys(records)


def counterfactual_probe(model, tokenizer, records: Sequence[Record], *, labels: Sequence[str], max_len: int, max_records: int = 16) -> dict[str, Any]:
    """Per lexicon axis: mean and worst answer log-likelihood gaps and decision flip rates, adapter vs base."""
    lexicon = load_lexicon()
    per_axis: dict[str, dict[str, list]] = {axis: {"adapter": [], "base": []} for axis in lexicon}
    for axis, groups in lexicon.items():
        probed = 0
        for record in records:
            if probed >= max_records:
                break
            if record.label is not None and record.text and record.label in labels:
                texts = variants(record.text, groups, seed=record.id)
                score = lambda: _label_scores(model, tokenizer, texts, record.label, labels, max_len)  # noqa: E731
            elif record.messages is not None:
                texts = _chat_variants(record, groups)
                score = lambda: _chat_scores(model, tokenizer, texts, max_len)  # noqa: E731
            else:
                continue
            if texts is None:
                continue
            probed += 1
            per_axis[axis]["adapter"].append(record_gap(*score()))
            with model.disable_adapter():
                per_axis[axis]["base"].append(record_gap(*score()))
    return {
        "lexicon": {axis: sorted(groups) for axis, groups in lexicon.items()},
        "max_records": max_records,
        "axes": {axis: summarise_axis(rows["adapter"], rows["base"]) for axis, rows in per_axis.items()},
    }
