"""`--engine ray` scrubs to the same bytes as the local engine; a missing Ray is one clear error."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from appliance.records import Record, Source
from appliance.stages.scrub import ScrubTally, residual_report, write_outcomes
from policies import load_policy
from policies.schema import EntityRule
from scrubbers.errors import ScrubberConfigError
from scrubbers.parallel import parallel_scrub

SALT = b"ray-engine-test-salt-0123456789a"
SOURCE = Source(path="crm/export.jsonl", sha256="0" * 64, location="line 1")
TEXTS = [
    "Call Maria Lopez at 555-123-4567 about her claim.",
    "Nothing personal in this one.",
    "Maria Lopez emailed maria.lopez@example.com again; her SSN is 123-45-6789.",
    "Dr. John Smith saw Maria Lopez on March 3rd, 2024 at 10 Main Street, Springfield.",
    "Card 4111 1111 1111 1111 belongs to John Smith.",
]


def _policy():
    # Pseudonyms for names: the same person must get the same surrogate on every Ray worker.
    policy = load_policy("default")
    return policy.model_copy(update={"entities": {**policy.entities, "PERSON": EntityRule(operator="pseudonym")}})


def _records() -> list[Record]:
    return [Record(id=f"r{i}", kind="document", source=SOURCE, text=text, subject_id=f"s{i % 2}") for i, text in enumerate(TEXTS * 4)]


def _written(outcomes) -> tuple[str, str, dict]:
    """The scrubbed records file, the findings file and the leak re-scan summary, as the stage writes them."""
    records_out, findings_out = io.StringIO(), io.StringIO()
    residual = residual_report(write_outcomes(outcomes, records_out, findings_out, ScrubTally()), _policy())
    return records_out.getvalue(), findings_out.getvalue(), residual.to_json()


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    import os

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_output() -> tuple[str, str, dict]:
    with parallel_scrub(_policy(), SALT, workers=1, rescan=True) as scrub:
        return _written(scrub(_records()))


def test_ray_over_jsonl_shards_matches_local_engine_byte_for_byte(local_ray, local_output, tmp_path: Path) -> None:
    from scrubbers.ray_engine import ray_scrub_shards

    records = _records()
    shards = [tmp_path / "part-0000.jsonl", tmp_path / "part-0001.jsonl"]
    for shard, part in zip(shards, (records[:11], records[11:]), strict=True):
        shard.write_text("".join(json.dumps(r.to_json()) + "\n" for r in part), encoding="utf-8")
    scrubbed, findings, residual = _written(ray_scrub_shards(_policy(), SALT, list(reversed(shards)), rescan=True))
    assert (scrubbed, findings, residual) == local_output
    rows = [json.loads(line) for line in scrubbed.splitlines()]
    assert [row["id"] for row in rows] == [f"r{i}" for i in range(20)]
    assert "Maria" not in scrubbed and "123-45-6789" not in scrubbed
    # The pseudonym of a name is one surrogate across records that different workers scrubbed.
    assert rows[0]["text"].split(" at ")[0] == rows[15]["text"].split(" at ")[0]


def test_ray_over_records_matches_local_engine(local_ray, local_output) -> None:
    from scrubbers.ray_engine import ray_scrub

    # Without the re-scan riding along, the stage re-scans in the driver: the same summary.
    assert _written(ray_scrub(_policy(), SALT, iter(_records()), chunk_records=12)) == local_output


def test_missing_ray_is_one_line_naming_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrubbers.ray_engine import ray_scrub

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ScrubberConfigError) as error:
        list(ray_scrub(_policy(), SALT, _records()))
    assert str(error.value) == "the ray engine needs Ray, which is not installed; run `pip install '.[ray]'` or use the local engine"


def test_the_cli_engine_flag_runs_the_scrub_stage_on_ray(local_ray, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from appliance.cli import main
    from appliance.rundir import RunDir

    corpus = tmp_path / "notes.jsonl"
    corpus.write_text("".join(json.dumps({"text": text, "customer_id": f"c{i}"}) + "\n" for i, text in enumerate(TEXTS)))
    runner = CliRunner()
    ingest = runner.invoke(main, ["ingest", str(corpus), "--run", str(tmp_path / "run")])
    assert ingest.exit_code == 0, ingest.output
    scrub = runner.invoke(main, ["scrub", "--run", str(tmp_path / "run"), "--engine", "ray"])
    assert scrub.exit_code == 0, scrub.output
    summary = RunDir(tmp_path / "run").manifest["stages"]["scrub"]["summary"]
    assert summary["engine"] == "ray" and summary["findings_by_type"]["PERSON"] >= 3
    assert "Maria Lopez" not in (tmp_path / "run" / "scrub" / "records.jsonl").read_text()
