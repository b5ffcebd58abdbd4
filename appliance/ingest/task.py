"""Task shaping: which records fit the run's training task (RunConfig.task), and in what shape.

- instruction: conversations (chat `messages`, prompt/completion pairs, two-speaker transcripts)
  and labelled rows (trained as a question answered by the label) fit. Documents are kept and
  trained as plain text; the summary says how many, and says so loudly when nothing else was found.
- completion: everything is text. Conversations are turned into text ("User: ...") so the whole
  corpus is one shape; labels stay on the record for the fairness audit.
- classification: only rows with a label fit. A CSV without the label column, or a format that
  cannot carry labels (a PDF, an email), is filtered whole with a reason naming the config key;
  unlabelled rows of a labelled file are filtered as `no_label`. When nothing fits, ingest fails.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from appliance.ingest.readers.base import ParsedRow
from appliance.records import Message, Record

TASKS = ("instruction", "completion", "classification")
NO_LABEL = "no_label"  # the filter reason of a row that cannot be a classification example
# Formats whose rows can carry a label column (appliance.ingest.readers format names).
LABELLED_FORMATS = frozenset({"csv", "tsv", "json", "jsonl"})
TASK_REASON_PREFIX = "classification needs"


def early_misfit(task: str, file_format: str) -> str:
    """Why a file of this format can never serve the task ('' when it can), decided before reading it."""
    if task == "classification" and file_format not in LABELLED_FORMATS:
        return f"{TASK_REASON_PREFIX} labelled rows (a CSV, TSV, JSON or JSONL file with the ingest.label_column column); a {file_format} file has none"
    return ""


def no_labelled_rows(rows: int, label_column: str | None) -> str:
    """The file reason when every row of a labelled format lacked a label."""
    return f"{TASK_REASON_PREFIX} labelled rows: none of its {rows} row(s) has a value in '{label_column}' (ingest.label_column)"


def conversation_text(messages: Sequence[Message]) -> str:
    """A conversation as plain text for completion training; roles kept so turns stay readable."""
    return "\n\n".join(f"{m.role.capitalize()}: {m.content}" for m in messages)


def shape_row(row: ParsedRow, task: str) -> tuple[ParsedRow | None, str]:
    """The row in the task's shape, or (None, filter reason) when it cannot serve the task."""
    if task == "classification":
        if row.messages is not None or row.label is None or not row.label.strip():
            return None, NO_LABEL
        return row, ""
    if task == "completion" and row.messages is not None:
        metadata = {**row.metadata, "shaped_from": "messages"}
        return dataclasses.replace(row, text=conversation_text(row.messages), messages=None, metadata=metadata), ""
    return row, ""


def record_shape(record: Record) -> str:
    """What a record is trained as: a conversation, a labelled row, or plain text."""
    if record.messages is not None:
        return "conversation"
    return "labelled" if record.label is not None else "text"


class _Outcome(Protocol):
    path: str
    status: str
    reason: str


@dataclass
class TaskTally:
    """Per-task counts for the stage summary, gathered as records stream past."""

    task: str
    by_shape: Counter = field(default_factory=Counter)
    conversations_as_text: int = 0

    def add(self, record: Record) -> None:
        self.by_shape[record_shape(record)] += 1
        if record.metadata.get("shaped_from") == "messages":
            self.conversations_as_text += 1

    def summary(self, outcomes: Sequence[_Outcome], filtered: Counter) -> dict[str, Any]:
        misfits = [o for o in outcomes if o.status == "filtered" and o.reason.startswith(TASK_REASON_PREFIX)]
        return {
            "task": self.task,
            "records_by_shape": {shape: self.by_shape[shape] for shape in ("conversation", "labelled", "text")},
            "conversations_as_text": self.conversations_as_text,
            "records_not_fitting": filtered[NO_LABEL],
            "files_not_fitting": len(misfits),
            "not_fitting": [{"path": o.path, "reason": o.reason} for o in misfits],
        }

    def notes(self) -> list[str]:
        """Lines for the printed summary: what each shape will be trained as."""
        shapes = self.by_shape
        line = f"task {self.task}: {shapes['conversation']} conversation(s), {shapes['labelled']} labelled row(s), {shapes['text']} text record(s)"
        notes = [line]
        if self.task == "instruction" and shapes["text"]:
            if shapes["conversation"] or shapes["labelled"]:
                notes.append(f"note: {shapes['text']} document record(s) are not conversations; they are trained as plain text")
            else:
                notes.append("note: no conversations or labelled rows found, only documents: the model will learn their text, not to answer; set task: completion in the run config, or add chat or Q&A files")
        if self.conversations_as_text:
            notes.append(f"note: {self.conversations_as_text} conversation(s) turned into plain text for the completion task")
        return notes

    def failure(self, outcomes: Sequence[_Outcome], label_column: str | None) -> str | None:
        """A one-line error when no record fits the task at all, else None."""
        if self.task != "classification" or self.by_shape["labelled"]:
            return None
        misfits = [o for o in outcomes if o.status == "filtered" and o.reason.startswith(TASK_REASON_PREFIX)]
        if not misfits:
            return f"{TASK_REASON_PREFIX} labelled rows and no input gave any; ingest a CSV or JSONL with a '{label_column}' column (ingest.label_column)"
        first = misfits[0]
        more = f" (and {len(misfits) - 1} more file(s), listed in ingest/inventory.jsonl)" if len(misfits) > 1 else ""
        return f"no input fits the classification task: {first.path}: {first.reason}{more}"
