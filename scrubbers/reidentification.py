"""The re-identification vault: surrogate -> original, readable only with the compliance officer's key.

The appliance holds only the officer's X25519 PUBLIC key (APPLIANCE_HOME/keys/reidentification.pub);
each run seals its mapping to it (ephemeral X25519 key agreement, HKDF-SHA256, AES-256-GCM
per line), so nothing on the appliance can open a vault once written. The officer keeps the
private key elsewhere and opens a run's vault with `appliance vault reveal RUN_DIR --key-file K`.
The vault lives under APPLIANCE_HOME/vaults/<run_id>/, never in the run directory.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.errors import ApplianceError
from appliance.files import atomic_writer
from appliance.records import Finding, Record
from policies.schema import EntityRule
from scrubbers.fields import record_fields
from scrubbers.operators.pseudonym import pseudonym

VAULT_FILE = "reidentification.jsonl"
PUBLIC_KEY_FILE = "reidentification.pub"
_INFO = b"appliance re-identification vault v1"


def generate_officer_key(private_path: Path, public_path: Path) -> None:
    """Write a new officer key pair: the private key for the officer, the public key for the appliance."""
    private = X25519PrivateKey.generate()
    with atomic_writer(private_path, "wb") as handle:
        handle.write(private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()))
    with atomic_writer(public_path, "wb") as handle:
        handle.write(private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _key(shared: bytes, ephemeral_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public, info=_INFO).derive(shared)


def seal_mapping(path: Path, officer_public_key: bytes, pairs: Iterable[tuple[str, str, str]]) -> int:
    """Write (entity_type, surrogate, original) rows sealed to the officer's public key; returns the count."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    aead = AESGCM(_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(officer_public_key)), ephemeral_public))
    count = 0
    with atomic_writer(path) as handle:
        handle.write(json.dumps({"ephemeral_public_key": base64.b64encode(ephemeral_public).decode()}) + "\n")
        for entity_type, surrogate, original in pairs:
            nonce = os.urandom(12)
            plain = json.dumps({"entity_type": entity_type, "surrogate": surrogate, "original": original}, ensure_ascii=False).encode()
            handle.write(base64.b64encode(nonce + aead.encrypt(nonce, plain, path.name.encode())).decode() + "\n")
            count += 1
    return count


def reveal(path: Path, officer_private_key: bytes, surrogate: str | None = None) -> Iterator[dict[str, str]]:
    """The vault's rows (all, or those whose surrogate matches), decrypted with the officer's private key."""
    if not path.is_file():
        raise ApplianceError(f"no re-identification vault at {path}; the run used no pseudonym operator or no officer public key was installed")
    if len(officer_private_key) != 32:
        raise ApplianceError("the key file is not an officer private key (expected 32 raw bytes)")
    with path.open(encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        ephemeral_public = base64.b64decode(header["ephemeral_public_key"])
        shared = X25519PrivateKey.from_private_bytes(officer_private_key).exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        aead = AESGCM(_key(shared, ephemeral_public))
        for number, line in enumerate(handle, start=2):
            blob = base64.b64decode(line)
            try:
                row = json.loads(aead.decrypt(blob[:12], blob[12:], path.name.encode()))
            except InvalidTag:
                raise ApplianceError(f"vault line {number} does not open with this key: wrong key, or the file was altered") from None
            if surrogate is None or row["surrogate"] == surrogate:
                yield row


def surrogate_pairs(record: Record, findings: Iterable[Finding], rules: Mapping[str, EntityRule], salt: bytes) -> Iterator[tuple[str, str, str]]:
    """(entity_type, surrogate, original) for each finding the `pseudonym` operator rewrote in `record`."""
    texts = dict(record_fields(record))
    subject = record.subject_id or record.id
    for finding in findings:
        if rules[finding.entity_type].operator == "pseudonym" and finding.field in texts:
            value = texts[finding.field][finding.start : finding.end]
            yield finding.entity_type, pseudonym(value, finding.entity_type, salt=salt, subject=subject), value
