"""Installation secrets kept outside every run directory (mode 0600 under APPLIANCE_HOME/keys)."""

from __future__ import annotations

import os
from pathlib import Path

from appliance.files import create_once
from appliance.paths import appliance_home


def _secret(name: str, size: int = 32) -> bytes:
    return create_once(keys_dir() / name, os.urandom(size))


def keys_dir() -> Path:
    folder = appliance_home() / "keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def hash_salt() -> bytes:
    """Salt of the `hash` operator: same value, same token across this installation's runs."""
    return _secret("hash.salt")


def erasure_salt() -> bytes:
    """Salt of the erased-subject hashes in manifests: the controller can re-derive them, an auditor cannot reverse them."""
    return _secret("erasure.salt")
