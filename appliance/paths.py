"""Where the installation keeps what must live outside any run directory: keys, vaults, models."""

from __future__ import annotations

import os
from pathlib import Path


def appliance_home() -> Path:
    """Keys and vaults: APPLIANCE_HOME, default ~/.cache/appliance. Created 0700."""
    home = Path(os.environ.get("APPLIANCE_HOME") or Path.home() / ".cache" / "appliance").expanduser()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def model_cache() -> Path:
    """Converted models: APPLIANCE_MODEL_CACHE, default APPLIANCE_HOME/models."""
    configured = os.environ.get("APPLIANCE_MODEL_CACHE")
    cache = Path(configured).expanduser() if configured else appliance_home() / "models"
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    return cache
