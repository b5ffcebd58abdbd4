"""Detection over JSONL files, for `appliance scrub detect` and `appliance scrub eval`."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import yaml

from policies.schema import Policy
from scrubbers.errors import ScrubberConfigError
from scrubbers.evaluation import DEFAULT_LABEL_MAP, EvaluationReport, Span, evaluate

# Detection never rewrites text, so the `hash` operator's salt is never used; a fixed
# placeholder avoids creating the installation's secret salt just to evaluate a policy.
DETECTION_ONLY_SALT = b"detection-only: never used to hash"
BATCH_SIZE = 256


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise ScrubberConfigError(f"{path}: line {number} is not valid JSON") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ScrubberConfigError(f"{path}: line {number} needs a string field 'text'")
            yield row


def detect_spans(policy: Policy, texts: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
    """Per text, in order: [{start, end, entity_type, score}] found by the policy's detectors."""
    from scrubbers.engine import Scrubber

    scrubber = Scrubber(policy, salt=DETECTION_ONLY_SALT)
    iterator = iter(texts)
    while batch := list(islice(iterator, BATCH_SIZE)):
        for findings in scrubber.detect(batch):
            yield [{"start": f.start, "end": f.end, "entity_type": f.entity_type, "score": f.score} for f in findings]


def detect_file(policy: Policy, source: Path, target: Path) -> int:
    """Write `source`'s records to `target` with a `spans` list added; returns the record count.

    Streamed: records are read, detected and written a batch at a time, and `target` appears
    (atomically renamed into place) only when every record was written.
    """
    from appliance.files import atomic_writer

    records = read_jsonl(source)
    remembered: deque[dict[str, Any]] = deque()  # the records whose spans are being detected

    def texts() -> Iterator[str]:
        for record in records:
            remembered.append(record)
            yield record["text"]

    count = 0
    with atomic_writer(target) as handle:
        for spans in detect_spans(policy, texts()):
            handle.write(json.dumps({**remembered.popleft(), "spans": spans}, ensure_ascii=False) + "\n")
            count += 1
    return count


def load_label_map(path: Path | None) -> Mapping[str, str | None]:
    """The default map, overridden by a YAML/JSON mapping of gold label -> entity type (null: out of scope)."""
    if path is None:
        return DEFAULT_LABEL_MAP
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
        raise ScrubberConfigError(f"{path}: a label map is a mapping of gold label to entity type or null")
    return {**DEFAULT_LABEL_MAP, **{str(k): v for k, v in data.items()}}


def evaluate_file(policy: Policy, gold_path: Path, label_map: Mapping[str, str | None] = DEFAULT_LABEL_MAP) -> EvaluationReport:
    """Detect on the gold file's texts and score against its spans."""
    gold = list(read_jsonl(gold_path))
    predicted = (
        [Span(s["start"], s["end"], s["entity_type"]) for s in spans]
        for spans in detect_spans(policy, (r["text"] for r in gold))
    )
    return evaluate(gold, predicted, label_map=label_map)
