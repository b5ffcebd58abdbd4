"""Policy packs: what is redacted, how, and which gates fail a run. Data only, never code."""

from policies.loader import PolicyError, available_policies, load_policy, policy_sha256
from policies.schema import Policy

__all__ = ["Policy", "PolicyError", "available_policies", "load_policy", "policy_sha256"]
