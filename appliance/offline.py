"""Keep the appliance air-gapped: offline switches for dependencies and an outbound-socket guard."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import traceback

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",  # mlflow-skinny 3.17 reads only this (DO_NOT_TRACK must be "true" for it)
    "DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
    "MLFLOW_TRACKING_URI": "",
    # Ray (the optional scrub engine) reports usage statistics unless told not to.
    "RAY_USAGE_STATS_ENABLED": "0",
    "SPACY_WARNING_IGNORE": "W095",
    # Library progress bars and chatter would drown the stage summaries.
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    # Presidio's email recognizer uses tldextract, which otherwise fetches the public suffix list.
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}

log = logging.getLogger("appliance.security")

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_attempts: list[str] = []


def set_offline_environment() -> None:
    """Force the offline switches; a user's environment cannot turn them back on."""
    os.environ.update(OFFLINE_ENVIRONMENT)


def quiet_library_warnings() -> None:
    """Hide warnings users cannot act on; each is explained where it matters (report, docs)."""
    import warnings

    # Opacus: secure RNG needs torchcsprng (not installed); the noise is still seeded from os.urandom.
    warnings.filterwarnings("ignore", message="Secure RNG turned off")
    warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
    # Frozen base weights: backward hooks fire with respect to outputs only, as intended for LoRA.
    warnings.filterwarnings("ignore", message="Full backward hook is firing")
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    warnings.filterwarnings("ignore", category=FutureWarning, module="peft")


def outbound_attempts() -> int:
    """How many outbound connections the guard has refused in this process."""
    return len(_attempts)


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like never leave the machine
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname other than localhost would need DNS: refuse


def _refuse(address: object) -> None:
    caller = traceback.extract_stack(limit=4)[0]
    where = f"{caller.filename}:{caller.lineno}"
    _attempts.append(where)
    # Log the caller, never the payload; the address is an endpoint, not personal data.
    log.warning("security event: refused outbound connection to %s from %s", address, where)
    raise ConnectionRefusedError(f"appliance is air-gapped: outbound connection to {address} refused")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        _refuse(address)
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        _refuse(address)
    return _original_connect_ex(self, address)


def install_network_guard() -> None:
    """Refuse every non-loopback socket connection for the rest of the process."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
