"""The scrub stage seals pseudonym pairs as they stream past: each distinct pair once, through an on-disk set, with nothing left behind by a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.commands.scrub_tools import vault
from appliance.records import Finding, Record
from appliance.rundir import RunDir
from scrubbers.reidentification import SCRATCH_NAME, VAULT_FILE, generate_officer_key, reveal, sealed_vault, surrogate_pairs

APPLIANCE = str(Path(sys.executable).parent / "appliance")
POLICY = "name: pseudo\ndescription: test\nentities:\n  PERSON: {operator: pseudonym}\n  EMAIL_ADDRESS: {operator: pseudonym}\n"


def _officer(folder: Path) -> tuple[bytes, bytes]:
    generate_officer_key(folder / "officer.key", folder / "officer.pub")
    return (folder / "officer.key").read_bytes(), (folder / "officer.pub").read_bytes()


def test_a_pair_recurring_many_times_is_sealed_once_in_first_seen_order(tmp_path: Path) -> None:
    private, public = _officer(tmp_path)
    path = tmp_path / "vault" / VAULT_FILE
    recurring = ("PERSON", "Laura Nowak", "Jane Doe")
    # Same surrogate, other original; and two pairs whose plain concatenations are equal.
    others = [("PERSON", "Laura Nowak", "Jane Do"), ("EMAIL_ADDRESS", "ab", "c"), ("EMAIL_ADDRESS", "a", "bc")]
    with sealed_vault(path, public) as sealer:
        added = [sealer.add(*recurring) for _ in range(500)]
        for pair in others * 3:
            sealer.add(*pair)
        assert not path.exists(), "the vault appears only when the stage completes"
    assert added == [True] + [False] * 499
    assert sealer.count == 4
    assert [(r["entity_type"], r["surrogate"], r["original"]) for r in reveal(path, private)] == [recurring, *others]
    assert list(path.parent.iterdir()) == [path], "the scratch set is removed"


def test_the_scratch_set_is_private_on_disk_and_holds_no_plaintext(tmp_path: Path) -> None:
    _, public = _officer(tmp_path)
    folder = tmp_path / "vault"
    with sealed_vault(folder / VAULT_FILE, public) as sealer:
        sealer.seen.db.execute("PRAGMA cache_size = 2")  # two pages: the set goes to the file, as in a large corpus
        for i in range(4000):
            sealer.add("PERSON", f"Surrogate Name{i}", f"Zebulon Quartermaine{i}")
        [scratch] = [path for path in folder.iterdir() if path.is_dir()]
        assert scratch.name.startswith(f".{SCRATCH_NAME}.{os.getpid()}.") and scratch.name.endswith(".tmp"), "a temp name the run's lock can sweep"
        assert scratch.stat().st_mode & 0o777 == 0o700
        files = list(scratch.iterdir())
        assert sum(path.stat().st_size for path in files) > 100_000, "the set lives on disk"
        for path in files:
            assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"
            data = path.read_bytes()
            assert b"Quartermaine" not in data and b"Surrogate" not in data, "keyed digests only, never text"
    assert sealer.count == 4000


def test_a_failure_mid_stage_leaves_no_vault_and_no_scratch(tmp_path: Path) -> None:
    _, public = _officer(tmp_path)
    folder = tmp_path / "vault"
    with pytest.raises(RuntimeError, match="record 3 failed"), sealed_vault(folder / VAULT_FILE, public) as sealer:
        for i in range(5):
            if i == 3:
                raise RuntimeError("record 3 failed")
            sealer.add("PERSON", f"Surrogate {i}", f"Original {i}")
    assert list(folder.iterdir()) == []


def _chats(path: Path) -> Path:
    """Maria Lopez and her e-mail address in each of 30 conversations of two customers; Omar Haddad in every third."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(30):
            customer = "C-1" if i < 20 else "C-2"
            question = f"Hello, Maria Lopez here about order {i}. Please write to maria.lopez@example.com when it ships."
            answer = f"Thank you Maria Lopez, order {i} ships on Monday." + (" Omar Haddad will deliver it." if i % 3 == 0 else "")
            handle.write(json.dumps({"customer_id": customer, "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}) + "\n")
    return path


def test_scrub_stage_seals_each_distinct_pair_once_as_the_in_memory_rule_did(tmp_path: Path, isolated_home: Path) -> None:
    from appliance.cli import main
    from appliance.keys import hash_salt
    from appliance.stages.ingest import RAW_RECORDS
    from appliance.vault import read_sealed_jsonl
    from policies.loader import load_policy

    runner = CliRunner()
    officer = tmp_path / "officer.key"
    assert runner.invoke(vault, ["keygen", str(officer)]).exit_code == 0
    policy = tmp_path / "pseudo.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    run_dir = tmp_path / "run"
    result = runner.invoke(main, ["ingest", str(_chats(tmp_path / "chats.jsonl")), "--run", str(run_dir), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["scrub", "--run", str(run_dir), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    run = RunDir.open(run_dir)
    # The rule before streaming: every kept record's pairs into one in-memory dict, in order.
    findings: dict[str, list[Finding]] = {}
    for line in (run_dir / "scrub" / "findings.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        findings.setdefault(row.pop("record_id"), []).append(Finding(**row))
    rules, salt = load_policy(policy).entities, hash_salt()
    expected: dict[tuple[str, str, str], None] = {}
    for row in read_sealed_jsonl(run.vault / RAW_RECORDS):
        expected.update(dict.fromkeys(surrogate_pairs(Record.from_json(row), findings.get(row["id"], []), rules, salt)))
    sealed = [(r["entity_type"], r["surrogate"], r["original"]) for r in reveal(run.vault / VAULT_FILE, officer.read_bytes())]
    assert sealed == list(expected)
    # A name's surrogate is the same everywhere, so each value is sealed once however often it recurs.
    assert sorted((entity, original) for entity, _, original in sealed) == [("EMAIL_ADDRESS", "maria.lopez@example.com"), ("PERSON", "Maria Lopez"), ("PERSON", "Omar Haddad")]
    assert f"re-identification vault: {len(expected)} surrogates sealed to the compliance officer's key" in result.output
    assert [path.name for path in run.vault.rglob(".*")] == [], "no scratch folder or temp file left"


def test_a_scrub_killed_mid_stage_leaves_no_vault_and_the_next_lock_sweeps_its_scratch(tmp_path: Path, isolated_home: Path) -> None:
    from appliance.cli import main

    runner = CliRunner()
    assert runner.invoke(vault, ["keygen", str(tmp_path / "officer.key")]).exit_code == 0
    policy = tmp_path / "pseudo.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    run_dir = tmp_path / "run"
    result = runner.invoke(main, ["ingest", str(_chats(tmp_path / "chats.jsonl")), "--run", str(run_dir), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    folder = RunDir.open(run_dir).vault
    env = {**os.environ, "APPLIANCE_SCRUB_WORKERS": "1"}
    scrub = subprocess.Popen([APPLIANCE, "scrub", "--run", str(run_dir), "--policy", str(policy)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not any(path.name.startswith(f".{SCRATCH_NAME}.") for path in folder.iterdir()):  # the stage is sealing
            assert scrub.poll() is None, "the scrub ended before it could be killed mid-stage"
            assert time.monotonic() < deadline, "the scrub never opened its vault"
            time.sleep(0.005)
    finally:
        os.killpg(scrub.pid, signal.SIGKILL)
        scrub.wait()
    left = sorted(path.name for path in folder.iterdir())
    assert VAULT_FILE not in left, "no vault from a stage that did not complete"
    assert any(name.startswith(f".{SCRATCH_NAME}.{scrub.pid}.") for name in left), left
    with RunDir.open(run_dir).lock():
        pass
    after = sorted(path.name for path in folder.iterdir())
    assert not any(name.startswith(f".{SCRATCH_NAME}.") or name.startswith(f".{VAULT_FILE}.") for name in after), after
    assert VAULT_FILE not in after
