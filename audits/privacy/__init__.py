"""Model-based privacy audits: membership inference, canary exposure, PII regurgitation."""

from audits.privacy.canaries import canary_records
from audits.privacy.exposure import canary_exposure, exposure_summary
from audits.privacy.membership import attack_auc, empirical_epsilon, membership_inference

__all__ = ["attack_auc", "canary_exposure", "canary_records", "empirical_epsilon", "exposure_summary", "membership_inference"]
