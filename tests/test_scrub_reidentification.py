"""The re-identification vault opens only with the compliance officer's private key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.commands.scrub_tools import vault
from appliance.errors import ApplianceError
from appliance.records import Finding, Record, Source
from appliance.rundir import RunDir
from policies.schema import EntityRule
from scrubbers.operators.pseudonym import pseudonym
from scrubbers.reidentification import VAULT_FILE, generate_officer_key, reveal, seal_mapping, surrogate_pairs

KEY = b"reidentification-test-key-012345"
PAIRS = [("PERSON", "Laura Nowak", "Jane Doe"), ("EMAIL_ADDRESS", "laura.nowak7@example.com", "jane@corp.com")]


def test_seal_and_reveal(tmp_path: Path) -> None:
    generate_officer_key(tmp_path / "officer.key", tmp_path / "officer.pub")
    path = tmp_path / VAULT_FILE
    assert seal_mapping(path, (tmp_path / "officer.pub").read_bytes(), PAIRS) == 2
    assert "Jane Doe" not in path.read_text()
    rows = list(reveal(path, (tmp_path / "officer.key").read_bytes()))
    assert [(r["entity_type"], r["surrogate"], r["original"]) for r in rows] == PAIRS
    assert [r["original"] for r in reveal(path, (tmp_path / "officer.key").read_bytes(), "Laura Nowak")] == ["Jane Doe"]


def test_another_key_cannot_open_the_vault(tmp_path: Path) -> None:
    generate_officer_key(tmp_path / "officer.key", tmp_path / "officer.pub")
    generate_officer_key(tmp_path / "other.key", tmp_path / "other.pub")
    seal_mapping(tmp_path / VAULT_FILE, (tmp_path / "officer.pub").read_bytes(), PAIRS)
    with pytest.raises(ApplianceError, match="does not open with this key"):
        list(reveal(tmp_path / VAULT_FILE, (tmp_path / "other.key").read_bytes()))


def test_surrogate_pairs_match_the_operator() -> None:
    record = Record(id="r1", kind="document", source=Source(path="a.txt", sha256="0" * 64, location="1"), text="Jane Doe called")
    rules = {"PERSON": EntityRule(operator="pseudonym")}
    [(entity_type, surrogate, original)] = surrogate_pairs(record, [Finding("PERSON", 0, 8, 0.9)], rules, KEY)
    assert (entity_type, original) == ("PERSON", "Jane Doe")
    assert surrogate == pseudonym("Jane Doe", "PERSON", salt=KEY, subject="r1")


def test_vault_cli_keygen_and_reveal(tmp_path: Path, isolated_home: Path) -> None:
    runner = CliRunner()
    officer = tmp_path / "officer" / "reid.key"
    officer.parent.mkdir()
    result = runner.invoke(vault, ["keygen", str(officer)])
    assert result.exit_code == 0, result.output
    public = isolated_home / "keys" / "reidentification.pub"
    assert public.is_file()
    run = RunDir.open(tmp_path / "run")
    seal_mapping(run.vault / VAULT_FILE, public.read_bytes(), PAIRS)
    assert not any(p.name == VAULT_FILE for p in run.root.rglob("*"))  # the vault is outside the run directory
    result = runner.invoke(vault, ["reveal", str(run.root), "--key-file", str(officer), "--surrogate", "Laura Nowak"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["original"] for line in result.output.splitlines()] == ["Jane Doe"]
    inside = run.root / "reid.key"
    inside.write_bytes(officer.read_bytes())
    result = runner.invoke(vault, ["reveal", str(run.root), "--key-file", str(inside)])
    assert result.exit_code == 1
    assert result.output == "Error: the key file must not be inside the run directory; keep the officer's key elsewhere\n"


def test_scrub_stage_pseudonymises_and_seals_the_mapping(tmp_path: Path, isolated_home: Path) -> None:
    from appliance.cli import main

    runner = CliRunner()
    officer = tmp_path / "officer.key"
    assert runner.invoke(vault, ["keygen", str(officer)]).exit_code == 0
    notes = tmp_path / "notes.txt"
    notes.write_text("Maria Lopez called about her order. Maria Lopez will call back.\n", encoding="utf-8")
    policy = tmp_path / "pseudo.yaml"
    policy.write_text("name: pseudo\ndescription: test\nentities:\n  PERSON: {operator: pseudonym}\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    result = runner.invoke(main, ["ingest", str(notes), "--run", str(run_dir), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["scrub", "--run", str(run_dir), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert "re-identification vault: 1 surrogates sealed" in result.output
    [row] = [json.loads(line) for line in (run_dir / "scrub" / "records.jsonl").read_text().splitlines()]
    assert "Maria" not in row["text"]
    surrogate = row["text"].split(" called")[0]
    assert row["text"].count(surrogate) == 2  # one person, one surrogate
    result = runner.invoke(vault, ["reveal", str(run_dir), "--key-file", str(officer), "--surrogate", surrogate])
    assert [json.loads(line)["original"] for line in result.output.splitlines()] == ["Maria Lopez"]
