"""Load a policy by name (a shipped pack) or from a file, reporting every error at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import ValidationError

from policies.schema import Policy

PACKS = Path(__file__).parent / "packs"


class PolicyError(Exception):
    """A policy that cannot be used; the message lists every problem with its key path."""


def available_policies() -> list[str]:
    return sorted(p.stem for p in PACKS.glob("*.yaml"))


def policy_path(name_or_file: str | Path) -> Path:
    candidate = Path(name_or_file)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise PolicyError(f"policy file {candidate} does not exist; give a path to a YAML file or one of: {', '.join(available_policies())}")
        return candidate
    pack = PACKS / f"{name_or_file}.yaml"
    if not pack.is_file():
        raise PolicyError(f"unknown policy '{name_or_file}'; choose one of: {', '.join(available_policies())}, or give a YAML file")
    return pack


def load_policy(name_or_file: str | Path) -> Policy:
    path = policy_path(name_or_file)
    return parse_policy(path.read_text(encoding="utf-8"), origin=str(path))


def parse_policy(text: str, origin: str = "<policy>") -> Policy:
    try:
        data = yaml.safe_load(text)  # safe_load: no tags, no object construction
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise PolicyError(f"{origin}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}: a policy must be a YAML mapping with keys name, description, entities, ...")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise PolicyError(f"{origin}: {len(problems)} problem(s): " + "; ".join(problems)) from None


def validation_problems(exc: ValidationError) -> list[str]:
    """Every pydantic error as 'key.path: message', so users fix them all in one go."""
    return [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()]


def policy_sha256(policy: Policy) -> str:
    """Hash of the resolved policy, so an equivalent file with other formatting hashes the same."""
    canonical = policy.model_dump_json(exclude_none=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def policy_yaml(policy: Policy) -> str:
    return yaml.safe_dump(policy.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
