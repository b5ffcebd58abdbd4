"""Config and policy files are untrusted: paths stay inside the run directory, and every schema error is listed at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.config import RunConfig, load_config
from appliance.errors import ApplianceError
from appliance.files import path_inside, relative_path_problem
from policies import PolicyError
from policies.loader import parse_policy

# Every string field of the run config that names a place on disk. train.base_model is also a path,
# but one that is only read (a model folder is verified by hash and loaded as safetensors only).
WRITTEN_PATH_FIELDS = {("tracking", "directory")}


def field_keys(model: type, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every leaf key of a config model, as a key path."""
    keys = set()
    for name, info in model.model_fields.items():
        nested = info.annotation if isinstance(info.annotation, type) and hasattr(info.annotation, "model_fields") else None
        keys |= field_keys(nested, (*prefix, name)) if nested else {(*prefix, name)}
    return keys


def test_the_only_path_fields_are_the_ones_checked_here() -> None:
    """A new path-valued config field must join WRITTEN_PATH_FIELDS, and so the checks below."""
    named_like_paths = {key for key in field_keys(RunConfig) if any(word in key[-1] for word in ("dir", "path", "file", "folder"))}
    assert named_like_paths == WRITTEN_PATH_FIELDS


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("tracking", None),
        ("logs/tracking", None),
        ("../../etc", "must stay inside the run directory (no '..')"),
        ("logs/../../outside", "must stay inside the run directory (no '..')"),
        ("..\\..\\windows", "must stay inside the run directory (no '..')"),
        ("/etc", "must be relative to the run directory (an absolute path may only be given on the command line)"),
        ("~/elsewhere", "must be relative to the run directory (an absolute path may only be given on the command line)"),
        ("C:\\temp", "must be relative to the run directory (an absolute path may only be given on the command line)"),
        (" ", "is empty"),
    ],
)
def test_relative_path_rules(value: str, problem: str | None) -> None:
    assert relative_path_problem(value) == problem


def test_path_inside_resolves_under_the_run_and_refuses_escapes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    assert path_inside(run, "tracking", key="tracking.directory") == run.resolve() / "tracking"
    with pytest.raises(ApplianceError) as refused:
        path_inside(run, "../../etc", key="tracking.directory")
    assert str(refused.value) == f"tracking.directory = '../../etc' must stay inside the run directory (no '..'); use a folder inside {run.resolve()}"
    os.symlink(tmp_path, run / "link")  # a link planted in the run directory must not be a way out
    with pytest.raises(ApplianceError, match="leaves the run directory through a symbolic link"):
        path_inside(run, "link/outside", key="tracking.directory")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_config_schema_errors_are_listed_all_at_once_with_key_paths(tmp_path: Path) -> None:
    config = write(tmp_path / "run.yaml", "train:\n  max_steps: 0\n  learning_rate: fast\ningest:\n  colour: blue\nevaluate:\n  max_records: -1\n")
    with pytest.raises(ApplianceError) as error:
        load_config(config)
    message = str(error.value)
    assert message.startswith(f"{config}: 4 problem(s) in the run config: ")
    for key in ("train.max_steps", "train.learning_rate", "ingest.colour", "evaluate.max_records"):
        assert f"{key}: " in message
    assert "\n" not in message


def test_policy_schema_errors_are_listed_all_at_once_with_key_paths() -> None:
    text = "name: Bad Name\ndescription: x\nentities:\n  PERSON:\n    operator: shred\nprivacy:\n  max_epsilon: -1\nfairness:\n  min_group_size: 0\n"
    with pytest.raises(PolicyError) as error:
        parse_policy(text, origin="team.yaml")
    message = str(error.value)
    assert message.startswith("team.yaml: 4 problem(s): ")
    for key in ("name: ", "entities.PERSON.operator: ", "privacy.max_epsilon: ", "fairness.min_group_size: "):
        assert key in message


def test_a_bad_config_file_on_the_command_line_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = write(tmp_path / "run.yaml", "train:\n  max_steps: 0\n  batch_size: 0\n")
    source = write(tmp_path / "notes.txt", "A short note about an overdraft limit on a current account.")
    result = CliRunner().invoke(main, ["ingest", str(source), "--run", str(tmp_path / "run"), "--config", str(config)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith(f"Error: {config}: 2 problem(s) in the run config: ")


def test_a_config_file_cannot_send_tracking_outside_the_run(tmp_path: Path) -> None:
    config = write(tmp_path / "run.yaml", "tracking:\n  directory: ../../etc\ntrain:\n  max_steps: 0\n")
    with pytest.raises(ApplianceError) as error:
        load_config(config)
    message = str(error.value)
    assert message.startswith(f"{config}: 2 problem(s) in the run config: ")
    assert "tracking.directory: must stay inside the run directory (no '..')" in message
    assert "train.max_steps: " in message


def test_an_absolute_tracking_directory_is_refused_from_a_file_but_taken_from_the_command_line(tmp_path: Path) -> None:
    config = write(tmp_path / "run.yaml", f"tracking:\n  directory: {tmp_path / 'elsewhere'}\n")
    with pytest.raises(ApplianceError, match="tracking.directory: must be relative to the run directory"):
        load_config(config)
    flags = load_config(None, {"tracking": {"directory": str(tmp_path / "elsewhere")}})
    assert flags.tracking.directory == str(tmp_path / "elsewhere")
