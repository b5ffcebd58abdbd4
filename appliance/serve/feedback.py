"""Feedback on served answers, stored scrubbed as chat records that `appliance ingest` accepts.

A good rating keeps the answer; a correction replaces it. A bad rating without a correction is no
training example, so it goes to feedback-ratings.jsonl (ids and ratings only), not feedback.jsonl.

Example:
    store = FeedbackStore(run_dir / "serve", guard)
    store.add(completion, rating="good", corrected_answer=None)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path

from appliance.serve.guard import PiiGuard
from appliance.serve.service import Completion, format_counts

log = logging.getLogger("appliance.serve")
FEEDBACK_FILE = "feedback.jsonl"
RATINGS_FILE = "feedback-ratings.jsonl"


class FeedbackStore:
    def __init__(self, folder: Path, guard: PiiGuard) -> None:
        self.folder = Path(folder)
        self.guard = guard
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.folder / FEEDBACK_FILE

    def add(self, completion: Completion, rating: str, corrected_answer: str | None = None) -> str:
        """Append one line; returns the file it went to. Every text is scrubbed again before it is written."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        provenance = {"completion_id": completion.id, "feedback_time": now, "rating": rating, "origin": "appliance serve"}
        if rating == "bad" and corrected_answer is None:
            self._append(self.folder / RATINGS_FILE, provenance)
            return RATINGS_FILE
        answer = completion.text if corrected_answer is None else corrected_answer
        contents = [m["content"] for m in completion.messages] + [answer]
        scrubbed, counts = self.guard.scrub_texts(contents)
        messages = [{"role": m["role"], "content": t} for m, t in zip(completion.messages, scrubbed, strict=False)]
        messages.append({"role": "assistant", "content": scrubbed[-1]})
        self._append(self.path, {"messages": messages, **provenance, "corrected": corrected_answer is not None})
        log.info("feedback id=%s rating=%s corrected=%s entities=%s", completion.id, rating, corrected_answer is not None, format_counts(counts))
        return FEEDBACK_FILE

    def _append(self, path: Path, row: dict) -> None:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
