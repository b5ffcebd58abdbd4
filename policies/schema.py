"""The policy schema. Unknown keys are rejected; instances are frozen.

A policy is data: operators and recognizers are chosen by name from closed lists,
so a YAML file can never import or run code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OperatorName = Literal["replace", "mask", "hash", "pseudonym", "drop_record"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntityRule(Strict):
    """How one PII entity type is treated."""

    operator: OperatorName = "replace"
    # For `mask`: keep this many trailing characters visible (e.g. last 4 of an account).
    keep_last: int = Field(default=0, ge=0, le=8)


class PatternRule(Strict):
    """A policy-defined entity found by a regular expression, boosted by nearby context words."""

    entity_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    regex: str
    score: float = Field(default=0.6, gt=0, le=1)
    context: tuple[str, ...] = ()


class DenyList(Strict):
    """Exact terms that are always this entity type (e.g. internal code names)."""

    entity_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    terms: tuple[str, ...]


class Detection(Strict):
    score_threshold: float = Field(default=0.4, ge=0, le=1)
    patterns: tuple[PatternRule, ...] = ()
    deny_lists: tuple[DenyList, ...] = ()
    # Terms never redacted (known false positives such as product names).
    allow_list: tuple[str, ...] = ()


class Residual(Strict):
    """The leak re-scan after redaction."""

    # Gate: residual suspected PII findings per scrubbed record, at most.
    max_rate: float = Field(default=0.05, ge=0)
    score_threshold: float = Field(default=0.6, ge=0, le=1)


class Recall(Strict):
    """Estimated recall: detection scored on a labelled sample of the kind of text being scrubbed."""

    # JSONL of records with `text` and `spans` [{start, end, label}] (see `appliance scrub eval`);
    # a relative path is read from the working directory. None: no estimate.
    gold_sample: str | None = None
    # Gate: the lower end of the token-recall interval must be at least this. None: reported, not gated.
    min_token_recall: float | None = Field(default=None, ge=0, le=1)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _minimum_needs_a_sample(self) -> Recall:
        if self.min_token_recall is not None and not self.gold_sample:
            raise ValueError("min_token_recall needs gold_sample: a labelled JSONL sample to estimate recall on")
        return self


class Privacy(Strict):
    dp_required: bool = False
    max_epsilon: float = Field(default=10.0, gt=0)
    # Delta is never above this; the run uses min(this, 1/(10*N)).
    max_delta: float = Field(default=1e-5, gt=0, lt=1)
    # Sensitive attributes live in a sealed sidecar; delete it after the audit when true.
    delete_sidecar_after_audit: bool = False
    # Gate: AUC of the strongest loss-based membership inference attack (training vs held-out records);
    # 0.5 is chance. Fails when the lower end of the AUC's 95% bootstrap interval is above this (the
    # AUC itself when no bootstrap ran); the empirical epsilon lower bound is reported alongside.
    max_membership_auc: float = Field(default=0.6, ge=0.5, le=1)
    # Gate: mean canary exposure in bits (The Secret Sharer); about 1.44 is chance, log2(candidates + 1) the most.
    max_canary_exposure: float = Field(default=3.0, ge=0)
    # Gate: share of prompted training prefixes whose adapter continuation holds a PII-like span
    # while the base model's continuation of the same prefix does not.
    max_regurgitation_rate: float = Field(default=0.05, ge=0, le=1)


class Fairness(Strict):
    sensitive_attributes: tuple[str, ...] = ("gender", "age_band", "ethnicity")
    # Groups smaller than this are flagged "too small to judge" rather than compared.
    min_group_size: int = Field(default=5, ge=1)
    # Gate: how much fine-tuning may WIDEN the held-out loss gap between groups (adapter gap minus
    # base gap, nats per token). The gate fails when the lower end of the change's 95% paired
    # bootstrap interval is above this. The absolute gap is reported but not gated: on small
    # held-out groups it is mostly noise, and the base model shows it too.
    max_loss_gap_increase: float = Field(default=0.1, ge=0)
    # Gate: largest demographic parity difference of model decisions (classification rows).
    max_demographic_parity_difference: float = Field(default=0.2, ge=0, le=1)
    # Gate: how much fine-tuning may raise the counterfactual gap: the mean spread (nats) of the
    # answer's log-likelihood across versions of a held-out prompt that differ only in group terms
    # (names filled into <PERSON>, pronouns, group words), adapter minus base. See audits/counterfactual.py.
    max_counterfactual_gap_increase: float = Field(default=0.5, ge=0)


class Policy(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str
    version: int = Field(default=1, ge=1)
    entities: dict[str, EntityRule]
    detection: Detection = Detection()
    residual: Residual = Residual()
    recall: Recall = Recall()
    privacy: Privacy = Privacy()
    fairness: Fairness = Fairness()

    @model_validator(mode="after")
    def _entity_names_are_upper_snake(self) -> Policy:
        bad = [name for name in self.entities if not name.replace("_", "").isalnum() or not name.isupper()]
        if bad:
            raise ValueError(f"entity types must be UPPER_SNAKE_CASE, got {bad}")
        return self
