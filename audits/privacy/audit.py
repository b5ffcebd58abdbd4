"""The privacy audit of a trained adapter: membership inference, canary exposure, PII regurgitation.

`privacy_audit` is the evaluate stage's hook: it takes the loaded model (adapter applied), the
training records and the held-out losses already computed, runs what the run config asks for,
and returns one JSON-ready dict of ids, counts and scores (never record text).

Example:
    >>> result = privacy_audit(model, tokenizer, train_records=train, held_out_rows=rows, audit=config.audit, seed=0, max_len=256)
    >>> result["membership"]["strongest"]["auc"]
    0.53
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from appliance.config import AuditConfig
from appliance.records import Record
from audits.privacy.membership import membership_inference
from audits.privacy.probes import Detect, canary_audit, pick_records, regurgitation_audit


def member_losses(model, tokenizer, records: Sequence[Record], max_len: int) -> tuple[list[float], list[float], list[str]]:
    """Mean per-token loss of the adapter and of the base model on each record that has a trained token."""
    from appliance.train.scoring import token_losses

    adapted = token_losses(model, tokenizer, records, max_len)
    with model.disable_adapter():
        original = token_losses(model, tokenizer, records, max_len)
    kept = [(a[0] / a[1], b[0] / b[1], record.id) for record, a, b in zip(records, adapted, original, strict=True) if a[1] and b[1]]
    return [k[0] for k in kept], [k[1] for k in kept], [k[2] for k in kept]


def privacy_audit(
    model,
    tokenizer,
    *,
    train_records: Sequence[Record],
    held_out_rows: Sequence[Mapping[str, Any]],
    audit: AuditConfig,
    seed: int,
    max_len: int,
    max_members: int = 200,
    canaries: Mapping[str, int] | None = None,
    detect: Detect | None = None,
    n_bootstrap: int = 200,
    regurgitation_tokens: int = 32,
    delta: float = 0.0,
) -> dict[str, Any]:
    """Every model-based privacy check the config asks for; a skipped check says why in `notes`.

    `held_out_rows` are the evaluate stage's per-record rows (adapter_loss, base_loss per token).
    `canaries` is what the train stage planted ({"seed", "count", "repeats"}), None when nothing was.
    `detect` finds PII spans in texts (Scrubber.detect); None skips the regurgitation probe.
    `delta` is the training run's DP delta (0 without DP): the empirical epsilon bound is for (eps, delta)-DP.
    """
    result: dict[str, Any] = {"membership": None, "canaries": None, "regurgitation": None, "notes": {}}
    real = [record for record in train_records if not record.metadata.get("audit_canary")]
    if audit.membership_inference:
        if held_out_rows and real:
            members = pick_records(real, min(max_members, max(len(held_out_rows), 1)), seed)
            adapted, original, _ = member_losses(model, tokenizer, members, max_len)
            result["membership"] = membership_inference(
                adapted, [row["adapter_loss"] for row in held_out_rows],
                member_base_losses=original, non_member_base_losses=[row["base_loss"] for row in held_out_rows],
                n_bootstrap=n_bootstrap, seed=seed, delta=delta,
            )
        else:
            result["notes"]["membership"] = "needs training and held-out records with tokens to score"
    else:
        result["notes"]["membership"] = "membership inference turned off in the run config (audit.membership_inference)"
    if canaries and canaries.get("count"):
        result["canaries"] = {
            "planted": int(canaries["count"]), "repeats": int(canaries.get("repeats", 1)),
            **canary_audit(model, tokenizer, seed=int(canaries["seed"]), count=int(canaries["count"]), candidates=audit.canary_candidates, max_len=max_len),
        }
    else:
        result["notes"]["canaries"] = "no canaries were planted in the training split (audit.canaries is 0 or the train stage did not plant them)"
    if audit.regurgitation_samples and detect is not None and real:
        result["regurgitation"] = regurgitation_audit(model, tokenizer, real, detect, samples=audit.regurgitation_samples, seed=seed, max_len=max_len, new_tokens=regurgitation_tokens)
    else:
        result["notes"]["regurgitation"] = "regurgitation probe off (audit.regurgitation_samples is 0)" if not audit.regurgitation_samples else "no training records or PII detector"
    return result
