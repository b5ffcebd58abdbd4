"""The ingest stage: inventory and manifest add up with archives, and worker settings never change the fingerprint."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from appliance.cli import main
from appliance.ingest import samples


def test_stage_accounts_for_archive_members_and_ignores_worker_settings(tmp_path: Path) -> None:
    source = tmp_path / "exports"
    source.mkdir()
    rng = random.Random(5)
    (source / "notes.txt").write_text(samples.sentences(rng, 4))
    (source / "bundle.zip").write_bytes(samples.make_zip({"a.md": samples.sentences(rng, 3).encode(), "../b.txt": b"escape attempt here"}))
    (source / "scan.pdf").write_bytes(samples.make_pdf([""]))
    run_dir = tmp_path / "runs" / "r1"
    runner = CliRunner()
    first = runner.invoke(main, ["ingest", str(source), "--run", str(run_dir)])
    assert first.exit_code == 0, first.output
    assert f"  {'archives read':<22}{1:>7}  (2 members, each counted above)" in first.output
    assert "  quarantined exports/scan.pdf: no text layer (OCR not enabled)" in first.output
    inventory = [json.loads(line) for line in (run_dir / "ingest" / "inventory.jsonl").read_text().splitlines()]
    assert [row["path"] for row in inventory] == ["exports/bundle.zip!a.md", "exports/bundle.zip!../b.txt", "exports/notes.txt", "exports/scan.pdf"]
    stage = json.loads((run_dir / "manifest.json").read_text())["stages"]["ingest"]
    counts = stage["counts"]
    assert counts["files_in"] == len(inventory) == len(stage["inputs"]) - counts["archives_expanded"] + counts["archive_members"]
    assert [a["path"] for a in stage["summary"]["archives"]] == ["exports/bundle.zip"]
    assert "workers" not in stage["params"]["ingest"]
    config = tmp_path / "run.yaml"
    config.write_text("ingest:\n  workers: 3\n  stream_above_bytes: 1024\n")
    second = runner.invoke(main, ["ingest", str(source), "--run", str(run_dir), "--config", str(config)])
    assert second.exit_code == 0, second.output
    assert "ingest: inputs, parameters and policy unchanged; skipped" in second.output
