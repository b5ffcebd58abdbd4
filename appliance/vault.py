"""The sealed vault: raw (pre-redaction) records and sensitive attributes, encrypted at rest.

It lives under APPLIANCE_HOME, never in the run directory, so a run directory can be
handed to an auditor. Each JSONL line is sealed on its own with AES-256-GCM (random
96-bit nonce; the file name is authenticated data, so lines cannot be moved between files),
which keeps the file streamable and bounded in memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.errors import ApplianceError
from appliance.files import atomic_writer, create_once
from appliance.paths import appliance_home


def vault_key() -> bytes:
    """This installation's vault key, created on first use with mode 0600."""
    path = appliance_home() / "keys" / "vault.key"
    key = create_once(path, AESGCM.generate_key(bit_length=256))
    if len(key) != 32:
        raise ApplianceError(f"vault key {path} is damaged (expected 32 bytes); restore it from backup")
    return key


def vault_dir(run_id: str) -> Path:
    folder = appliance_home() / "vaults" / run_id
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def seal_line(aead: AESGCM, associated: bytes, row: dict[str, Any]) -> bytes:
    """One sealed JSONL line (without its newline): base64 of a fresh nonce and the AES-GCM ciphertext."""
    nonce = os.urandom(12)
    plain = json.dumps(row, ensure_ascii=False, sort_keys=True).encode()
    return base64.b64encode(nonce + aead.encrypt(nonce, plain, associated))


def write_sealed_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    aead = AESGCM(vault_key())
    associated = path.name.encode()
    count = 0
    with atomic_writer(path) as handle:
        for row in rows:
            handle.write(seal_line(aead, associated, row).decode() + "\n")
            count += 1
    return count


def read_sealed_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise ApplianceError(f"sealed file {path.name} is missing from the vault; re-run `appliance ingest --force`")
    aead = AESGCM(vault_key())
    associated = path.name.encode()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                blob = base64.b64decode(line.strip(), validate=True)
                plain = aead.decrypt(blob[:12], blob[12:], associated)
            except (InvalidTag, binascii.Error, ValueError):
                # A damaged line (not even base64) is as untrustworthy as a forged one.
                raise ApplianceError(f"vault file {path.name} line {number} fails authentication: it was altered or sealed with another key") from None
            yield json.loads(plain)
