"""This installation's Ed25519 signing key, and the signature over a run's manifest.

The private key lives in APPLIANCE_HOME/keys/signing.key (PEM, PKCS#8, mode 0600), never in a
run directory. A run directory carries `manifest.sig` (the 64-byte raw signature over the exact
bytes of manifest.json) and `signing_key.pub` (the public key, PEM), so anyone can check it.

Example:
    >>> sign_run(RunDir.open(Path("runs/r1"), create=False))
    PosixPath('.../runs/r1/manifest.sig')
"""

from __future__ import annotations

import hashlib
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


def check_signature(root: Path) -> SignatureCheck:
    """Is RUN_DIR/manifest.sig a valid signature over manifest.json by the key in signing_key.pub?"""
    signature_path, key_path = root / SIGNATURE_FILE, root / PUBLIC_KEY_FILE
    if not key_path.is_file():
        return SignatureCheck(False, None, f"{PUBLIC_KEY_FILE} is missing")
    try:
        public = load_public_key(key_path)
    except ApplianceError:
        return SignatureCheck(False, None, f"{PUBLIC_KEY_FILE} is not an Ed25519 public key in PEM form")
    found = fingerprint(public)
    if not signature_path.is_file():
        return SignatureCheck(False, found, f"{SIGNATURE_FILE} is missing (the run was never signed, or signing was interrupted)")
    try:
        public.verify(signature_path.read_bytes(), (root / "manifest.json").read_bytes())
    except InvalidSignature:
        return SignatureCheck(False, found, "signature does not match manifest.json (the manifest changed after signing)")
    return SignatureCheck(True, found)
