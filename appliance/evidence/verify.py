"""`appliance verify`: re-hash every artefact, check the signature, and check report.json against the manifest.

Pure reading: nothing in the run directory or the vault is created or changed, and no key is created.

Example:
    >>> result = verify_run(Path("runs/r1"))
    >>> result.ok, [(d.file, d.expected, d.found) for d in result.differences]
    (True, [])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.evidence.digest import REPORT_STAGE, manifest_digest, report_artifacts
from appliance.evidence.signing import SIGNATURE_FILE, SignatureCheck, check_signature, installation_fingerprint
from appliance.files import sha256_file
from appliance.paths import appliance_home
from appliance.rundir import VAULT_PREFIX

EXIT_VERIFY_FAILED = 4
REPORT_JSON = "report/report.json"


class VerificationFailed(ApplianceError):
    """An artefact, the signature or the report does not match the manifest."""

    exit_code = EXIT_VERIFY_FAILED


@dataclass(frozen=True)
class Difference:
    """One thing that is not as the manifest says: which file, what was expected, what was found."""

    file: str
    expected: str
    found: str


@dataclass
class Verification:
    root: Path
    run_id: str
    files_checked: int = 0
    signature: SignatureCheck | None = None
    this_installation: bool | None = None
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def verify_run(root: Path, *, expected_fingerprint: str | None = None) -> Verification:
    """Every check on one run directory; differences are collected, never raised.

    `expected_fingerprint` pins the signing key (e.g. the one the operator published); without
    it the signature is checked against the key in the run, and the result says whether that is
    this installation's key.
    """
    root = Path(root).resolve()
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise ApplianceError(f"{root} is not a run directory (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        result = Verification(root=root, run_id="unknown")
        result.differences.append(Difference("manifest.json", "readable JSON", "damaged (cannot be parsed)"))
        return result
    result = Verification(root=root, run_id=str(manifest.get("run_id", "unknown")))
    _check_signature(result, expected_fingerprint)
    _check_artifacts(result, manifest)
    _check_snapshots(result, manifest)
    _check_report(result, manifest)
    _note_stale_models(result, manifest)
    return result


def _note_stale_models(result: Verification, manifest: dict[str, Any]) -> None:
    """Models trained before a data subject's erasure still hold what they learned from that subject."""
    trained = manifest.get("stages", {}).get("train", {}).get("finished", "")
    for erasure in manifest.get("erasures", []):
        if erasure.get("status") != "complete" or not erasure.get("retrain") or trained > erasure.get("erased_at", ""):
            continue
        stale = ", ".join(erasure["retrain"])
        result.notes.append(f"{stale}: trained on a subject erased at {erasure['erased_at']} (subject {erasure['subject_hash'][:12]}); retrain with `appliance run`")


def _check_signature(result: Verification, expected_fingerprint: str | None) -> None:
    check = check_signature(result.root)
    result.signature = check
    if not check.valid:
        result.differences.append(Difference(SIGNATURE_FILE, "a valid Ed25519 signature over manifest.json", check.problem or "invalid"))
    if expected_fingerprint and check.fingerprint != expected_fingerprint:
        result.differences.append(Difference("signing_key.pub", f"key {expected_fingerprint}", f"key {check.fingerprint or 'none'}"))
    own = installation_fingerprint()
    result.this_installation = None if own is None or check.fingerprint is None else own == check.fingerprint


def _vault_folder(run_id: str) -> Path:
    """The run's vault folder, computed without creating it (RunDir.vault would)."""
    return appliance_home() / "vaults" / run_id


def _deleted_by_policy(manifest: dict[str, Any]) -> set[str]:
    """Vault files a later stage deleted on purpose (the demographics sidecar, when the policy says so)."""
    evaluate = manifest.get("stages", {}).get("evaluate", {}).get("summary", {})
    return {f"{VAULT_PREFIX}sidecar.jsonl.enc"} if evaluate.get("sidecar_deleted") else set()


def _check_artifacts(result: Verification, manifest: dict[str, Any]) -> None:
    vault = _vault_folder(result.run_id)
    vault_present = vault.is_dir()
    deleted = _deleted_by_policy(manifest)
    seen: dict[str, dict[str, Any]] = {}
    for stage in manifest.get("stages", {}).values():
        for entry in stage.get("outputs", []):
            seen[entry["path"]] = entry
    unchecked_vault = 0
    for name, entry in sorted(seen.items()):
        if name.startswith(VAULT_PREFIX):
            if not vault_present:
                unchecked_vault += 1
                continue
            if name in deleted:
                result.notes.append(f"{name}: deleted after the audit, as the policy requires; not checked")
                continue
            path = vault / name[len(VAULT_PREFIX):]
        else:
            path = result.root / name
        result.files_checked += 1
        if not path.is_file():
            result.differences.append(Difference(name, f"sha256 {entry['sha256']}", "missing"))
            continue
        found = sha256_file(path)
        if found != entry["sha256"]:
            result.differences.append(Difference(name, f"sha256 {entry['sha256']}", f"sha256 {found}"))
    if unchecked_vault:
        result.notes.append(f"{unchecked_vault} vault entries not checked: the vault of run {result.run_id} is not on this machine (looked in {vault})")
    elif any(name.startswith(VAULT_PREFIX) for name in seen):
        result.notes.append(f"vault entries checked in {vault}")


def _check_snapshots(result: Verification, manifest: dict[str, Any]) -> None:
    """config.yaml must hash to the manifest's config_sha256; policy.yaml must resolve to its policy sha256."""
    if "config_sha256" in manifest:
        _file_difference(result, "config.yaml", manifest["config_sha256"])
    policy = manifest.get("policy", {})
    if policy.get("file_sha256"):
        _file_difference(result, "policy.yaml", policy["file_sha256"])
    elif policy.get("sha256"):  # runs recorded before the snapshot's own hash was kept
        result.differences.extend(_policy_difference(result.root / "policy.yaml", policy["sha256"]))


def _file_difference(result: Verification, name: str, expected: str) -> None:
    path = result.root / name
    found = sha256_file(path) if path.is_file() else "missing"
    if found != expected:
        result.differences.append(Difference(name, f"sha256 {expected}", found if found == "missing" else f"sha256 {found}"))


def _policy_difference(path: Path, expected: str) -> list[Difference]:
    from policies import PolicyError, policy_sha256
    from policies.loader import parse_policy

    if not path.is_file():
        return [Difference("policy.yaml", f"policy sha256 {expected}", "missing")]
    try:
        found = policy_sha256(parse_policy(path.read_text(encoding="utf-8"), origin=str(path)))
    except (PolicyError, UnicodeDecodeError):
        return [Difference("policy.yaml", f"policy sha256 {expected}", "not a valid policy")]
    return [] if found == expected else [Difference("policy.yaml", f"policy sha256 {expected}", f"policy sha256 {found}")]


def _check_report(result: Verification, manifest: dict[str, Any]) -> None:
    """report.json must describe this manifest: same run, same earlier artefacts, same policy and key."""
    if REPORT_STAGE not in manifest.get("stages", {}):
        result.notes.append("no report stage recorded: report.json not checked")
        return
    path = result.root / REPORT_JSON
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return  # already listed as missing or changed by the artefact check
    add = result.differences.append
    if report.get("run_id") != result.run_id:
        add(Difference(f"{REPORT_JSON}: run_id", result.run_id, str(report.get("run_id"))))
    digest = manifest_digest(manifest)
    if report.get("manifest_sha256") != digest:
        add(Difference(f"{REPORT_JSON}: manifest_sha256", f"{digest} (manifest without its report stage)", str(report.get("manifest_sha256"))))
    expected = {a["path"]: a["sha256"] for a in report_artifacts(manifest)}
    found = {a.get("path"): a.get("sha256") for a in report.get("artifacts", [])}
    for name in sorted(set(expected) | set(found), key=str):
        if expected.get(name) != found.get(name):
            add(Difference(f"{REPORT_JSON}: artifacts[{name}]", _sha_text(expected.get(name), "not in the manifest"), _sha_text(found.get(name), "not in the report")))
    policy = manifest.get("policy", {}).get("sha256")
    if report.get("policy", {}).get("sha256") != policy:
        add(Difference(f"{REPORT_JSON}: policy.sha256", str(policy), str(report.get("policy", {}).get("sha256"))))
    embedded = (report.get("evidence") or {}).get("signing_key", {}).get("fingerprint")
    signer = result.signature.fingerprint if result.signature else None
    if signer and embedded != signer:
        add(Difference(f"{REPORT_JSON}: evidence.signing_key.fingerprint", f"{signer} (signing_key.pub)", str(embedded)))
    recorded = manifest["stages"][REPORT_STAGE].get("summary", {})
    if "verdict" in recorded and report.get("verdict") != recorded["verdict"]:
        add(Difference(f"{REPORT_JSON}: verdict", str(recorded["verdict"]), str(report.get("verdict"))))


def _sha_text(sha: str | None, absent: str) -> str:
    return f"sha256 {sha}" if sha else absent
