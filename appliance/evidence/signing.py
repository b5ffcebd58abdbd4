"""This installation's Ed25519 signing key, and the signature over a run's manifest.

The private key lives in APPLIANCE_HOME/keys/signing.key (PEM, PKCS#8, mode 0600), never in a
run directory. A run directory carries `manifest.sig` (the 64-byte raw signature over the exact
bytes of manifest.json) and `signing_key.pub` (the public key, PEM), so anyone can check it.

Every write of the manifest is signed as it happens (`sealed_manifest_write`), and refused when
the manifest on disk is not one this installation signed: the appliance never signs a manifest
somebody edited, and a run killed at any point still carries a signed manifest to resume from.

Example:
    >>> sign_run(RunDir.open(Path("runs/r1"), create=False))
    PosixPath('.../runs/r1/manifest.sig')
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from appliance.errors import ApplianceError
from appliance.files import create_once, write_bytes, write_text
from appliance.keys import keys_dir
from appliance.rundir import RunDir

KEY_FILE = "signing.key"
SIGNATURE_FILE = "manifest.sig"
# The next manifest's signature, written before that manifest replaces the old one.
PENDING_SIGNATURE_FILE = "manifest.sig.pending"
PUBLIC_KEY_FILE = "signing_key.pub"
ALGORITHM = "Ed25519"


def signing_key_path() -> Path:
    return keys_dir() / KEY_FILE


def signing_key() -> Ed25519PrivateKey:
    """This installation's signing key, generated on first use (mode 0600, outside every run)."""
    path = signing_key_path()
    # Created once, never replaced: two first runs at the same moment must end with one key.
    pem = path.read_bytes() if path.exists() else create_once(path, Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ApplianceError(f"signing key {path} is damaged; restore it from backup (a new key cannot vouch for old runs)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ApplianceError(f"signing key {path} is not an Ed25519 key; restore it from backup")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """`SHA256:` and the hex sha256 of the 32 raw public key bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def signing_identity() -> dict[str, Any]:
    """What a report says about the key that signs its run: algorithm, public key PEM, fingerprint."""
    public = signing_key().public_key()
    return {"algorithm": ALGORITHM, "public_key_pem": public_key_pem(public), "fingerprint": fingerprint(public)}


def installation_fingerprint() -> str | None:
    """The fingerprint of this installation's key, or None when it has none (never creates one)."""
    return signing_identity()["fingerprint"] if signing_key_path().exists() else None


def sign_run(run: RunDir) -> Path:
    """Sign manifest.json as it is now; call after the manifest's last write.

    Writes RUN_DIR/manifest.sig and RUN_DIR/signing_key.pub; returns the signature's path.
    """
    key = signing_key()
    signature = key.sign(run.manifest_path.read_bytes())
    write_text(run.root / PUBLIC_KEY_FILE, public_key_pem(key.public_key()))
    path = run.root / SIGNATURE_FILE
    write_bytes(path, signature)
    return path


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    fingerprint: str | None
    problem: str | None = None


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError):
        raise ApplianceError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ApplianceError(f"{path} is not an Ed25519 public key")
    return key


def check_signature(root: Path, signature_file: str = SIGNATURE_FILE) -> SignatureCheck:
    """Is RUN_DIR/manifest.sig (or `signature_file`) a valid signature over manifest.json by the key in signing_key.pub?"""
    signature_path, key_path = root / signature_file, root / PUBLIC_KEY_FILE
    if not key_path.is_file():
        return SignatureCheck(False, None, f"{PUBLIC_KEY_FILE} is missing")
    try:
        public = load_public_key(key_path)
    except ApplianceError:
        return SignatureCheck(False, None, f"{PUBLIC_KEY_FILE} is not an Ed25519 public key in PEM form")
    found = fingerprint(public)
    if not signature_path.is_file():
        return SignatureCheck(False, found, f"{signature_file} is missing (the run was never signed, or signing was interrupted)")
    try:
        public.verify(signature_path.read_bytes(), (root / "manifest.json").read_bytes())
    except InvalidSignature:
        return SignatureCheck(False, found, "signature does not match manifest.json (the manifest changed after signing)")
    return SignatureCheck(True, found)


@contextlib.contextmanager
def sealed_manifest_write(root: Path, document: bytes) -> Iterator[None]:
    """Around the write of `document` as RUN_DIR/manifest.json: refuse an edited manifest, sign the new one.

    The new signature is written beside the old one before the manifest is replaced, and takes
    the old one's place after it: whenever the process dies, one of the two signs the manifest
    on disk. A manifest that neither signs, or that another key signed, was changed outside this
    installation's appliance; writing to it would sign that change, so the write is refused.
    """
    key = signing_key()
    pending = root / PENDING_SIGNATURE_FILE
    if (root / "manifest.json").exists():
        _require_signed_here(root)
    write_bytes(pending, key.sign(document))
    _write_public_key(root, key)
    yield
    os.replace(pending, root / SIGNATURE_FILE)


def finish_interrupted_signing(root: Path) -> SignatureCheck:
    """The manifest's signature check, after finishing a sealed write killed between its two renames."""
    check = check_signature(root)
    if not check.valid and check_signature(root, PENDING_SIGNATURE_FILE).valid:
        os.replace(root / PENDING_SIGNATURE_FILE, root / SIGNATURE_FILE)
        check = check_signature(root)
    return check


def signed_here(root: Path) -> SignatureCheck:
    """The manifest's signature check (an interrupted sealed write finished first), valid only under this installation's key.

    Invalid with no `problem` when another key signed it.
    """
    check = finish_interrupted_signing(root)
    if check.valid and check.fingerprint != installation_fingerprint():
        return SignatureCheck(False, check.fingerprint)
    return check


def _require_signed_here(root: Path) -> None:
    check = signed_here(root)
    if check.valid:
        return
    problem = check.problem or f"signed by another installation's key ({check.fingerprint})"
    raise ApplianceError(
        f"manifest.json in {root} is not as this installation's appliance wrote it ({problem}), so nothing more is written to this run; "
        f"run `appliance verify {root}` to see what changed, and restore the run directory or start a new run"
    )


def _write_public_key(root: Path, key: Ed25519PrivateKey) -> None:
    pem = public_key_pem(key.public_key())
    path = root / PUBLIC_KEY_FILE
    if not path.is_file() or path.read_text(encoding="utf-8", errors="replace") != pem:
        write_text(path, pem)
