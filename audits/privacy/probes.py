"""Model-facing privacy probes: score canaries and candidates, and prompt with training prefixes.

These run the model; everything they return is ids, counts, ranks and scores, never text.

Example:
    >>> canary_audit(model, tokenizer, seed=0, count=3, candidates=100, max_len=256)["mean_exposure"]
    1.7
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from appliance.records import Finding, Record
from audits.fairness_data import clean_number
from audits.privacy.canaries import canary_record, canary_secrets, candidate_secrets
from audits.privacy.exposure import canary_exposure, exposure_summary

Detect = Callable[[Sequence[str]], list[list[Finding]]]


def canary_audit(model, tokenizer, *, seed: int, count: int, candidates: int, max_len: int) -> dict[str, Any]:
    """Exposure of each planted canary: its total answer loss ranked among `candidates` random passcodes."""
    from appliance.train.scoring import token_losses

    secrets = canary_secrets(seed, count)
    exposures = []
    for index, secret in enumerate(secrets):
        others = candidate_secrets(seed, secret, candidates, exclude=set(secrets))
        records = [canary_record(f"canary-{index}", secret), *(canary_record(f"candidate-{j}", other) for j, other in enumerate(others))]
        # Total loss, not per token: the passcodes' token counts may differ, and exposure ranks likelihoods.
        losses = [loss for loss, _ in token_losses(model, tokenizer, records, max_len)]
        exposures.append({"canary": f"canary-{index}", **canary_exposure(losses[0], losses[1:])})
    return exposure_summary(exposures)


def pick_records(records: Sequence[Record], samples: int, seed: int) -> list[Record]:
    """A deterministic sample: the records whose salted id hash is smallest."""
    key = lambda record: hashlib.sha256(f"{seed}:{record.id}".encode()).hexdigest()  # noqa: E731
    return sorted(records, key=key)[:samples]


def prefix_ids(record: Record, tokenizer, *, max_len: int, prefix_tokens: int) -> list[int] | None:
    """The record's tokens up to its first trained token, plus `prefix_tokens` trained tokens."""
    from appliance.train.data import IGNORE, encode_record

    example = encode_record(record, tokenizer, max_len)
    if example is None:
        return None
    first = next(position for position, label in enumerate(example.labels) if position and label != IGNORE)
    return example.input_ids[: first + prefix_tokens]


def greedy_continuation(model, tokenizer, input_ids: list[int], new_tokens: int) -> str:
    import torch

    device = next(model.parameters()).device
    prompt = torch.tensor([input_ids], device=device)
    with torch.no_grad():
        output = model.generate(
            input_ids=prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=new_tokens,
            do_sample=False, pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(output[0, len(input_ids):], skip_special_tokens=True)


def regurgitation_audit(
    model, tokenizer, records: Sequence[Record], detect: Detect, *, samples: int, seed: int, max_len: int, prefix_tokens: int = 8, new_tokens: int = 32
) -> dict[str, Any]:
    """Greedy continuations of training-record prefixes by the adapter and the base model, scanned for PII.

    Only counts leave: how many continuations hold a PII-like span, and of which entity types.
    """
    prompts = [(record.id, ids) for record in pick_records(records, samples, seed) if (ids := prefix_ids(record, tokenizer, max_len=max_len, prefix_tokens=prefix_tokens))]
    adapter_texts = [greedy_continuation(model, tokenizer, ids, new_tokens) for _, ids in prompts]
    with model.disable_adapter():
        base_texts = [greedy_continuation(model, tokenizer, ids, new_tokens) for _, ids in prompts]
    return regurgitation_summary(detect(adapter_texts), detect(base_texts), [record_id for record_id, _ in prompts], new_tokens=new_tokens, prefix_tokens=prefix_tokens)


def regurgitation_summary(adapter_findings: Sequence[Sequence[Finding]], base_findings: Sequence[Sequence[Finding]], record_ids: Sequence[str], **settings: int) -> dict[str, Any]:
    """Counts of flagged continuations; `adapter_only` (flagged for the adapter, not the base) is gated."""
    adapter_flags, base_flags = [bool(f) for f in adapter_findings], [bool(f) for f in base_findings]
    adapter_only = [record_id for record_id, a, b in zip(record_ids, adapter_flags, base_flags, strict=True) if a and not b]
    prompted = len(record_ids)
    return {
        "prompted": prompted,
        **settings,
        "adapter_flagged": sum(adapter_flags),
        "base_flagged": sum(base_flags),
        "adapter_only": len(adapter_only),
        "adapter_only_rate": clean_number(len(adapter_only) / prompted) if prompted else None,
        "adapter_only_record_ids": adapter_only,
        "adapter_entity_types": dict(sorted(Counter(f.entity_type for found in adapter_findings for f in found).items())),
        "base_entity_types": dict(sorted(Counter(f.entity_type for found in base_findings for f in found).items())),
    }
