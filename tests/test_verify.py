"""`appliance verify`: every artefact re-hashed, the signature checked, report.json checked against the manifest."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report_fixture import complete_run

from appliance.commands.evidence import verify
from appliance.evidence import sign_run, verify_run
from appliance.evidence.digest import manifest_digest
from appliance.evidence.signing import signing_identity, signing_key_path
from appliance.evidence.verify import EXIT_VERIFY_FAILED
from appliance.files import sha256_file, write_json
from appliance.rundir import RunDir


@pytest.fixture
def signed_run(tmp_path: Path) -> Path:
    """A fabricated run as the pipeline leaves it: report recorded, manifest signed."""
    return complete_run(tmp_path / "run").run.root

def flip_byte(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(verify, [str(a) for a in args])
    return result.exit_code, result.output


def test_a_signed_run_verifies(signed_run: Path) -> None:
    run_id = RunDir(signed_run).run_id
    code, output = invoke(signed_run)
    fingerprint = signing_identity()["fingerprint"]
    assert code == 0, output
    assert output.splitlines() == [
        f"run {run_id}: 20 artefacts re-hashed",
        f"signature: valid (Ed25519, key {fingerprint}; this installation's key)",
        f"note: vault entries checked in {RunDir(signed_run).vault}",
        "PASS: every artefact matches the manifest, the signature is valid and report.json matches the manifest",
    ]


def test_signing_key_lives_outside_the_run_with_mode_0600(signed_run: Path, isolated_home: Path) -> None:
    key = signing_key_path()
    assert key == isolated_home / "keys" / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not any(p.name.endswith(".key") for p in signed_run.rglob("*"))
    assert (signed_run / "signing_key.pub").read_text() == signing_identity()["public_key_pem"]
    report = json.loads((signed_run / "report" / "report.json").read_text())
    assert report["evidence"]["signing_key"] == signing_identity()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_verifies_the_signature_without_the_appliance(signed_run: Path) -> None:
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "signing_key.pub", "-rawin", "-in", "manifest.json", "-sigfile", "manifest.sig"]
    result = subprocess.run(command, cwd=signed_run, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Signature Verified Successfully" in result.stdout


@pytest.mark.parametrize(
    "name",
    ["train/adapter/adapter_model.safetensors", "scrub/records.jsonl", "policy.yaml", "report/report.html", "report/report.json", "report/report.pdf", "train/adapter/MODEL_CARD.md"],
)
def test_one_flipped_byte_is_caught_and_named(signed_run: Path, name: str) -> None:
    path = signed_run / name
    expected = sha256_file(path)
    flip_byte(path, offset=len(path.read_bytes()) // 2)
    code, output = invoke(signed_run)
    assert code == EXIT_VERIFY_FAILED
    assert f"  {name}\n    expected: sha256 {expected}\n    found:    sha256 {sha256_file(path)}\n" in output
    assert "FAIL: 1 difference(s)" in output or name == "report/report.json"


def test_a_removed_file_is_caught_and_named(signed_run: Path) -> None:
    expected = sha256_file(signed_run / "audit" / "fairness_data.json")
    (signed_run / "audit" / "fairness_data.json").unlink()
    code, output = invoke(signed_run)
    assert code == EXIT_VERIFY_FAILED
    assert f"FAIL: 1 difference(s)\n  audit/fairness_data.json\n    expected: sha256 {expected}\n    found:    missing\n" in output


def test_a_changed_manifest_breaks_the_signature(signed_run: Path) -> None:
    run = RunDir(signed_run)
    manifest = run.manifest
    manifest["stages"]["report"]["finished"] = "2000-01-01T00:00:00+00:00"  # outside the report's own digest
    write_json(run.manifest_path, manifest)  # by hand: the appliance itself refuses to write over a signed run's edit
    result = verify_run(signed_run)
    assert [(d.file, d.found) for d in result.differences] == [("manifest.sig", "signature does not match manifest.json (the manifest changed after signing)")]


def test_a_manifest_rewritten_to_match_a_tampered_file_still_fails(signed_run: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-hashing a changed file into the manifest breaks the signature; re-signing with another key is named too."""
    run = RunDir(signed_run)
    target = signed_run / "scrub" / "records.jsonl"
    flip_byte(target)
    manifest = run.manifest
    for entry in manifest["stages"]["scrub"]["outputs"]:
        if entry["path"] == "scrub/records.jsonl":
            entry["sha256"] = sha256_file(target)
    write_json(run.manifest_path, manifest)
    assert {d.file for d in verify_run(signed_run).differences} >= {"manifest.sig", "report/report.json: artifacts[scrub/records.jsonl]"}
    monkeypatch.setenv("APPLIANCE_HOME", str(signed_run.parent / "attacker-home"))
    sign_run(run)
    monkeypatch.setenv("APPLIANCE_HOME", str(isolated_home))
    result = verify_run(signed_run)
    assert result.signature.valid and result.this_installation is False
    assert "report/report.json: evidence.signing_key.fingerprint" in {d.file for d in result.differences}
    assert "NOT this installation's key: compare the fingerprint with the one the operator published" in invoke(signed_run)[1]


def test_expected_key_pins_the_signer(signed_run: Path) -> None:
    other = "SHA256:" + "0" * 64
    code, output = invoke(signed_run, "--key", other)
    assert code == EXIT_VERIFY_FAILED
    assert f"  signing_key.pub\n    expected: key {other}\n" in output
    assert invoke(signed_run, "--key", signing_identity()["fingerprint"])[0] == 0


def test_missing_signature(signed_run: Path) -> None:
    (signed_run / "manifest.sig").unlink()
    result = verify_run(signed_run)
    assert [(d.file, d.found) for d in result.differences] == [("manifest.sig", "manifest.sig is missing (the run was never signed, or signing was interrupted)")]


def test_vault_entries_are_checked_only_where_the_vault_is(signed_run: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = RunDir(signed_run)
    flip_byte(run.vault / "raw-records.jsonl.enc")
    assert [d.file for d in verify_run(signed_run).differences] == ["vault:raw-records.jsonl.enc"]
    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path / "auditor-home"))
    code, output = invoke(signed_run)
    assert code == 0, output
    assert f"note: 2 vault entries not checked: the vault of run {run.run_id} is not on this machine (looked in {tmp_path / 'auditor-home' / 'vaults' / run.run_id})\n" in output
    assert "no key on this installation to compare with" in output
    assert not (tmp_path / "auditor-home" / "vaults").exists(), "verify must not create a vault"


def test_sidecar_deleted_by_policy_is_not_a_difference(signed_run: Path) -> None:
    run = RunDir(signed_run)
    manifest = run.manifest
    manifest["stages"]["evaluate"]["summary"]["sidecar_deleted"] = True
    run.save_manifest(manifest)
    (run.vault / "sidecar.jsonl.enc").unlink()
    sign_run(run)
    result = verify_run(signed_run)
    assert [d.file for d in result.differences] == ["report/report.json: manifest_sha256"], "the report predates the manifest edit"
    assert "vault:sidecar.jsonl.enc: deleted after the audit, as the policy requires; not checked" in result.notes


def test_a_stale_report_is_caught(tmp_path: Path) -> None:
    """An earlier stage re-run after the report: the report no longer describes the run."""
    ctx = complete_run(tmp_path / "run")
    run = ctx.run
    write_json(run.root / "audit" / "privacy_plan.json", {"changed": True})
    manifest = run.manifest
    manifest["stages"]["audit"]["outputs"] = [run.entry(run.root / "audit" / "fairness_data.json").__dict__, run.entry(run.root / "audit" / "privacy_plan.json").__dict__]
    run.save_manifest(manifest)
    sign_run(run)
    result = verify_run(run.root)
    assert [d.file for d in result.differences] == ["report/report.json: manifest_sha256", "report/report.json: artifacts[audit/privacy_plan.json]"]
    assert result.differences[0].expected == f"{manifest_digest(manifest)} (manifest without its report stage)"


def test_not_a_run_directory(tmp_path: Path) -> None:
    code, output = invoke(tmp_path)
    assert code == 1
    assert output == f"Error: {tmp_path.resolve()} is not a run directory (no manifest.json)\n"


def test_a_run_still_verifies_when_a_later_schema_resolves_its_policy_differently(signed_run: Path) -> None:
    """verify checks the policy snapshot's bytes: a new schema default must not break an old run's evidence."""
    manifest = json.loads((signed_run / "manifest.json").read_text())
    assert manifest["policy"]["file_sha256"] == sha256_file(signed_run / "policy.yaml")
    assert manifest["policy"]["sha256"] != manifest["policy"]["file_sha256"]  # the meaning's hash, not the file's
    code, output = invoke(signed_run)
    assert code == 0, output
