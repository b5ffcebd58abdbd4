"""The re-identification vault: surrogate -> original, readable only with the compliance officer's key.

The appliance holds only the officer's X25519 PUBLIC key (APPLIANCE_HOME/keys/reidentification.pub);
each run seals its mapping to it (ephemeral X25519 key agreement, HKDF-SHA256, AES-256-GCM
per line), so nothing on the appliance can open a vault once written. The officer keeps the
private key elsewhere and opens a run's vault with `appliance vault reveal RUN_DIR --key-file K`.
The vault lives under APPLIANCE_HOME/vaults/<run_id>/, never in the run directory.

A stage seals pairs as they stream past (`sealed_vault`): each distinct pair is sealed once, found
distinct through an on-disk set of keyed digests (appliance.scratch) rather than a set in memory,
which would grow with every pseudonymised value in the corpus. The digest key is drawn fresh for each
vault and never leaves the process, so the scratch set cannot be matched against guessed values, and
the scratch folder sits beside the vault and is removed when the vault is written.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.errors import ApplianceError
from appliance.files import atomic_writer
from appliance.records import Finding, Record
from appliance.scratch import DigestSet, scratch_database
from policies.schema import EntityRule
from scrubbers.fields import record_fields
from scrubbers.operators.pseudonym import pseudonym

VAULT_FILE = "reidentification.jsonl"
PUBLIC_KEY_FILE = "reidentification.pub"
SCRATCH_NAME = "reidentification-pairs"  # the sealed-pairs set's scratch folder: .reidentification-pairs.<pid>.<random>.tmp
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


class VaultSealer:
    """Seals (entity_type, surrogate, original) rows one by one into an open vault file, after its header."""

    def __init__(self, handle: IO[str], officer_public_key: bytes, file_name: str) -> None:
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._aead = AESGCM(_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(officer_public_key)), ephemeral_public))
        self._handle = handle
        self._associated = file_name.encode()  # a line moved into another vault file does not open
        self.count = 0
        handle.write(json.dumps({"ephemeral_public_key": base64.b64encode(ephemeral_public).decode()}) + "\n")

    def seal(self, entity_type: str, surrogate: str, original: str) -> None:
        nonce = os.urandom(12)
        plain = json.dumps({"entity_type": entity_type, "surrogate": surrogate, "original": original}, ensure_ascii=False).encode()
        self._handle.write(base64.b64encode(nonce + self._aead.encrypt(nonce, plain, self._associated)).decode() + "\n")
        self.count += 1


def seal_mapping(path: Path, officer_public_key: bytes, pairs: Iterable[tuple[str, str, str]]) -> int:
    """Write (entity_type, surrogate, original) rows sealed to the officer's public key; returns the count.

    Every pair given is sealed: the caller passes distinct pairs (`sealed_vault` finds them itself).
    """
    with atomic_writer(path) as handle:
        sealer = VaultSealer(handle, officer_public_key, path.name)
        for pair in pairs:
            sealer.seal(*pair)
    return sealer.count


class DistinctVaultSealer:
    """Seals each distinct (entity_type, surrogate, original) once, however often it recurs; memory stays fixed."""

    def __init__(self, sealer: VaultSealer, seen: DigestSet) -> None:
        self._sealer = sealer
        self.seen = seen  # keyed digests of the pairs sealed so far, on disk
        self._digest_key = os.urandom(32)  # this vault's only: the scratch digests match nothing outside this process

    @property
    def count(self) -> int:
        """The pairs sealed so far."""
        return self._sealer.count

    def add(self, entity_type: str, surrogate: str, original: str) -> bool:
        """Seal the pair unless it was sealed before; True when it was new."""
        if not self.seen.add(self._digest(entity_type, surrogate, original)):
            return False
        self._sealer.seal(entity_type, surrogate, original)
        return True

    def add_all(self, pairs: Iterable[tuple[str, str, str]]) -> None:
        for pair in pairs:
            self.add(*pair)

    def _digest(self, *parts: str) -> bytes:
        # Length-prefixed, so ("AB", "C") and ("A", "BC") differ.
        encoded = b"".join(len(data).to_bytes(4, "big") + data for data in (part.encode("utf-8", "surrogatepass") for part in parts))
        return hmac.new(self._digest_key, encoded, hashlib.sha256).digest()


@contextlib.contextmanager
def sealed_vault(path: Path, officer_public_key: bytes) -> Iterator[DistinctVaultSealer]:
    """A vault at `path` that seals each distinct pair as it arrives; the file appears only when the block ends without error.

    The distinct-pair set lives in a private scratch folder beside `path` (the run's vault, outside
    the run directory), removed at the end; a killed process's folder is swept by the next lock.

    Example: with sealed_vault(run.vault / VAULT_FILE, key) as vault: vault.add("PERSON", "Laura Nowak", "Jane Doe")
    """
    with scratch_database(SCRATCH_NAME, path.parent, what="the re-identification vault's pair index") as db, atomic_writer(path) as handle:
        yield DistinctVaultSealer(VaultSealer(handle, officer_public_key, path.name), DigestSet(db, "pairs"))


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
