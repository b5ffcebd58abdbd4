"""The full pipeline with the real default model (SmolLM2-135M-Instruct) on a few records, 2 steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.models import REGISTRY

pytestmark = pytest.mark.integration

CHATS = [
    {"customer_id": f"C{i}", "messages": [{"role": "user", "content": f"Hi, I am Dana Whitfield{i}, can I raise my card limit?"}, {"role": "assistant", "content": "Yes: open Cards, choose Limits and follow the steps. Thank you for banking with us."}]}
    for i in range(12)
]


def test_pipeline_with_smollm2_for_two_steps(tmp_path: Path) -> None:
    source = tmp_path / "exports"
    source.mkdir()
    (source / "chats.jsonl").write_text("\n".join(json.dumps(c) for c in CHATS) + "\n")
    rows = ["customer_id,text,outcome,gender"] + [f"D{i},Applicant reports steady income and {i} late payments this year.,{'approved' if i < 4 else 'declined'},{'female' if i % 2 else 'male'}" for i in range(8)]
    (source / "loans.csv").write_text("\n".join(rows) + "\n")
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(source), "--out", str(run_dir), "--dp", "--epsilon", "8", "--max-steps", "2"])
    assert result.exit_code in (0, 3), result.output  # 3: a fairness gate may fail on 8 rows; the report is still written
    report = json.loads((run_dir / "report" / "report.json").read_text())
    assert report["training"]["base_model"] == {"name": "smollm2-135m-instruct", "sha256": REGISTRY["smollm2-135m-instruct"].converted_sha256["model.safetensors"], "origin": "registry"}
    assert report["training"]["steps"] == 2
    assert 0 < report["privacy"]["dp"]["epsilon"] <= 8
    assert report["evaluation"]["base"]["loss"] > 0 and report["evaluation"]["adapter"]["loss"] > 0
    assert "Dana Whitfield" not in (run_dir / "scrub" / "records.jsonl").read_text()
