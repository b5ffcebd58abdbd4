"""Task shaping: ingest says exactly what a task is missing, keeps what fits, and shapes records for the task."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appliance.cli import main
from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files
from appliance.rundir import RunDir
from appliance.stages.ingest import RAW_RECORDS
from appliance.vault import read_sealed_jsonl

CHAT = {"messages": [{"role": "user", "content": "How do I reset my online banking password?"}, {"role": "assistant", "content": "Use the forgotten password link on the sign-in page."}]}
NOTE = "The branch on Main Street opens at nine on weekdays and ten on Saturdays."


def _ingest(tmp_path: Path, task: str, extra: str = "") -> tuple[object, Path]:
    config = tmp_path / "run.yaml"
    config.write_text(f"task: {task}\n{extra}")
    run_dir = tmp_path / "runs" / "r1"
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "exports"), "--run", str(run_dir), "--config", str(config)])
    return result, run_dir


def _stage(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["stages"]["ingest"]


def _raw_records(run_dir: Path) -> list[dict]:
    return list(read_sealed_jsonl(RunDir(run_dir).vault / RAW_RECORDS))


def _exports(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_classification_without_a_label_column_names_the_file_the_columns_and_the_key(tmp_path: Path) -> None:
    _exports(tmp_path, {"loans.csv": f"id,text,amount\n1,{NOTE},100\n2,The card was declined twice at the same store today.,250\n"})
    result, run_dir = _ingest(tmp_path, "classification")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: no input fits the classification task: exports/loans.csv: classification needs a label column 'outcome' "
        "(set ingest.label_column in the run config); found columns: id, text, amount"
    )
    assert "ingest" not in json.loads((run_dir / "manifest.json").read_text())["stages"], "a failed ingest is never recorded as done"
    assert not (RunDir(run_dir).vault / RAW_RECORDS).exists(), "no half-written sealed records"
    [row] = [json.loads(line) for line in (run_dir / "ingest" / "inventory.jsonl").read_text().splitlines()]
    assert (row["path"], row["status"]) == ("exports/loans.csv", "filtered"), "the inventory the message points to is there"


def test_classification_with_the_label_column_unset_says_which_key_to_set(tmp_path: Path) -> None:
    _exports(tmp_path, {"loans.csv": f"text,outcome\n{NOTE},approved\n"})
    result, _ = _ingest(tmp_path, "classification", "ingest:\n  label_column: null\n")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: classification needs a label column: set ingest.label_column in the run config to the column holding the labels"


def test_classification_keeps_labelled_rows_and_explains_every_file_it_cannot_use(tmp_path: Path) -> None:
    rows = f"text,outcome\n{NOTE},approved\nThe applicant asked to move the payment date to the fifth.,\nA second card was ordered after the first one was lost.,declined\n"
    chats = json.dumps(CHAT) + "\n"
    _exports(tmp_path, {"loans.csv": rows, "chats.jsonl": chats, "policy.md": "# Fees\n\n" + NOTE})
    result, run_dir = _ingest(tmp_path, "classification")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  not used for classification exports/chats.jsonl: classification needs labelled rows: none of its 1 row(s) has a value in 'outcome' (ingest.label_column)" in lines
    assert (
        "  not used for classification exports/policy.md: classification needs labelled rows (a CSV, TSV, JSON or JSONL file with the ingest.label_column column); a markdown file has none"
        in lines
    )
    assert "  task classification: 0 conversation(s), 2 labelled row(s), 0 text record(s)" in lines
    stage = _stage(run_dir)
    assert stage["counts"]["files_filtered"] == 2 and stage["counts"]["files_with_records"] == 1
    assert stage["summary"]["filtered_by_reason"] == {"no_label": 2}  # the unlabelled CSV row and the chat
    assert stage["summary"]["task"]["records_by_shape"] == {"conversation": 0, "labelled": 2, "text": 0}
    assert stage["summary"]["task"]["files_not_fitting"] == 2 and stage["params"]["task"] == "classification"
    assert sorted(r["label"] for r in _raw_records(run_dir)) == ["approved", "declined"]


def test_instruction_with_documents_only_explains_what_the_model_will_learn(tmp_path: Path) -> None:
    _exports(tmp_path, {"policy.md": "# Fees\n\n" + NOTE})
    result, run_dir = _ingest(tmp_path, "instruction")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-3:-1] == [
        "  task instruction: 0 conversation(s), 0 labelled row(s), 1 text record(s)",
        "  note: no conversations or labelled rows found, only documents: the model will learn their text, not to answer; "
        "set task: completion in the run config, or add chat or Q&A files",
    ]
    assert _stage(run_dir)["summary"]["task"]["records_by_shape"] == {"conversation": 0, "labelled": 0, "text": 1}


def test_instruction_keeps_conversations_and_says_documents_are_trained_as_text(tmp_path: Path) -> None:
    _exports(tmp_path, {"chats.jsonl": json.dumps(CHAT) + "\n", "policy.md": "# Fees\n\n" + NOTE})
    result, run_dir = _ingest(tmp_path, "instruction")
    assert result.exit_code == 0, result.output
    assert "  note: 1 document record(s) are not conversations; they are trained as plain text" in result.output.splitlines()
    kinds = sorted((r["kind"], "messages" in r) for r in _raw_records(run_dir))
    assert kinds == [("chat", True), ("document", False)]


def test_completion_turns_conversations_into_text(tmp_path: Path) -> None:
    _exports(tmp_path, {"chats.jsonl": json.dumps(CHAT) + "\n", "policy.md": "# Fees\n\n" + NOTE})
    result, run_dir = _ingest(tmp_path, "completion")
    assert result.exit_code == 0, result.output
    assert "  note: 1 conversation(s) turned into plain text for the completion task" in result.output.splitlines()
    chat = next(r for r in _raw_records(run_dir) if r["kind"] == "chat")
    assert "messages" not in chat and chat["metadata"]["shaped_from"] == "messages"
    assert chat["text"] == "User: How do I reset my online banking password?\n\nAssistant: Use the forgotten password link on the sign-in page."
    assert _stage(run_dir)["summary"]["task"]["conversations_as_text"] == 1


def test_changing_the_task_re_runs_ingest(tmp_path: Path) -> None:
    _exports(tmp_path, {"chats.jsonl": json.dumps(CHAT) + "\n"})
    assert _ingest(tmp_path, "instruction")[0].exit_code == 0
    again, run_dir = _ingest(tmp_path, "completion")
    assert again.exit_code == 0 and "skipped" not in again.output
    assert "text" in _raw_records(run_dir)[0]


def test_a_streamed_csv_and_one_read_whole_are_judged_the_same_way(tmp_path: Path) -> None:
    folder = _exports(tmp_path, {"plain.csv": f"id,text\n1,{NOTE}\n"})
    files = discover([folder])
    config = IngestConfig(stream_above_bytes=1, workers=1)
    streamed = ingest_files(files, config, (), task="classification")
    read_whole = ingest_files(files, IngestConfig(workers=1), (), task="classification")
    expected = [("exports/plain.csv", "filtered", "classification needs a label column 'outcome' (set ingest.label_column in the run config); found columns: id, text")]
    assert [(o.path, o.status, o.reason) for o in streamed.outcomes] == expected
    assert [(o.path, o.status, o.reason) for o in read_whole.outcomes] == expected
