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


def test_a_streamed_file_failing_half_way_leaves_nothing_in_the_sealed_records(tmp_path: Path) -> None:
    from appliance.rundir import RunDir
    from appliance.stages.ingest import RAW_RECORDS, SIDECAR
    from appliance.vault import read_sealed_jsonl

    source = tmp_path / "exports"
    source.mkdir()
    rows = [json.dumps({"text": samples.sentences(random.Random(i), 3), "gender": "f"}) for i in range(50)]
    (source / "a.jsonl").write_text("\n".join(rows) + "\nnot json\n")  # 50 good rows sealed, then rolled back
    (source / "b.jsonl").write_text(json.dumps({"text": samples.sentences(random.Random(99), 3), "gender": "m"}) + "\n")
    config = tmp_path / "run.yaml"
    config.write_text("ingest:\n  stream_above_bytes: 1\n  workers: 1\n")
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(main, ["ingest", str(source), "--run", str(run_dir), "--config", str(config), "--policy", "banking"])
    assert result.exit_code == 0, result.output
    vault = RunDir(run_dir).vault
    records = list(read_sealed_jsonl(vault / RAW_RECORDS))  # every line still authenticates: the cut was clean
    assert [r["source"]["path"] for r in records] == ["exports/b.jsonl"]
    assert [row["attributes"] for row in read_sealed_jsonl(vault / SIDECAR)] == [{"gender": "m"}]
    stage = json.loads((run_dir / "manifest.json").read_text())["stages"]["ingest"]
    assert stage["counts"]["records_out"] == 1 and stage["summary"]["sidecar_rows"] == 1
