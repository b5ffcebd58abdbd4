"""The PII guard: scrub prompts before the model sees them, redact PII-like spans before text leaves.

Detection is the run's own policy through `scrubbers.Scrubber`; rewriting uses the policy's
operator per entity type (drop_record, which has no span form, becomes a typed placeholder).

Example:
    guard = PiiGuard(policy, salt=hash_salt(), input_mode="refuse")
    texts, counts = guard.check_input(["Call Maria Lopez"])   # raises PromptRefused
    redactor = guard.stream_redactor()
    safe = redactor.feed("mail me at jo") + redactor.feed("e@example.com") + redactor.finish()
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

from appliance.errors import ApplianceError
from appliance.records import Finding
from scrubbers.operators import OPERATORS, replace

InputMode = Literal["redact", "refuse", "off"]
Finder = Callable[[str], list[Finding]]
Rewriter = Callable[[str, Sequence[Finding]], str]

# Longest PII span the streaming guard must see whole (an IBAN with spaces is ~42 characters).
DEFAULT_HOLD_BACK = 64


class PromptRefused(ApplianceError):
    """The prompt holds PII and the guard is set to refuse; names entity types only."""

    def __init__(self, entity_types: Sequence[str]) -> None:
        self.entity_types = sorted(set(entity_types))
        super().__init__(f"prompt refused: it contains {', '.join(self.entity_types)}; remove personal data and try again")


class PiiGuard:
    def __init__(self, policy, salt: bytes = b"", *, input_mode: InputMode = "redact", output: bool = True, scrubber=None) -> None:
        self.policy = policy
        self.salt = salt
        self.input_mode = input_mode
        self.output = output
        self._scrubber = scrubber
        self._lock = threading.Lock()  # Presidio/spaCy objects are shared; detect one text set at a time

    @property
    def scrubber(self):
        if self._scrubber is None:
            from scrubbers import Scrubber

            self._scrubber = Scrubber(self.policy, salt=self.salt)
        return self._scrubber

    def find(self, text: str) -> list[Finding]:
        return self.find_all([text])[0]

    def find_all(self, texts: Sequence[str]) -> list[list[Finding]]:
        if not any(texts):
            return [[] for _ in texts]
        with self._lock:
            return self.scrubber.detect(list(texts))

    def rewrite(self, text: str, findings: Sequence[Finding]) -> str:
        """Each finding replaced by its policy operator, right to left so offsets stay valid."""
        for finding in sorted(findings, key=lambda f: f.start, reverse=True):
            rule = self.policy.entities.get(finding.entity_type)
            operator = OPERATORS.get(rule.operator, replace) if rule is not None else replace
            keep_last = getattr(rule, "keep_last", 0) or 0
            token = operator(text[finding.start : finding.end], finding.entity_type, keep_last=keep_last, salt=self.salt)
            text = text[: finding.start] + token + text[finding.end :]
        return text

    def scrub_texts(self, texts: Sequence[str]) -> tuple[list[str], Counter]:
        """Always redacts, whatever the modes (for anything stored, such as feedback)."""
        found = self.find_all(texts)
        counts = Counter(f.entity_type for findings in found for f in findings)
        return [self.rewrite(t, f) for t, f in zip(texts, found, strict=True)], counts

    def check_input(self, texts: Sequence[str]) -> tuple[list[str], Counter]:
        """The texts as the model may see them, and entity-type counts; raises PromptRefused in refuse mode."""
        if self.input_mode == "off":
            return list(texts), Counter()
        redacted, counts = self.scrub_texts(texts)
        if counts and self.input_mode == "refuse":
            raise PromptRefused(list(counts))
        return redacted, counts

    def redact_output(self, text: str) -> tuple[str, Counter]:
        if not self.output:
            return text, Counter()
        findings = self.find(text)
        return self.rewrite(text, findings), Counter(f.entity_type for f in findings)

    def stream_redactor(self, hold_back: int = DEFAULT_HOLD_BACK) -> StreamRedactor:
        if not self.output:
            return StreamRedactor(lambda text: [], lambda text, findings: text, hold_back=0)
        return StreamRedactor(self.find, self.rewrite, hold_back=hold_back)


class StreamRedactor:
    """Redacts a text that arrives in chunks, holding back only the tail a PII span could straddle.

    Text is released up to `hold_back` characters before the end of what has arrived, moved back
    to a word boundary and to the start of any span found across the cut. A span no longer than
    `hold_back` that starts before the cut therefore lies wholly inside the scanned text.
    """

    def __init__(self, find: Finder, rewrite: Rewriter, *, hold_back: int = DEFAULT_HOLD_BACK, min_release: int = 16) -> None:
        self.find = find
        self.rewrite = rewrite
        self.hold_back = hold_back
        self.min_release = min_release  # scan only once this much could be released: detection is not free
        self.pending = ""
        self.counts: Counter = Counter()

    def feed(self, chunk: str) -> str:
        self.pending += chunk
        if len(self.pending) < self.hold_back + self.min_release:
            return ""
        findings = self.find(self.pending)
        cut = self._cut(findings)
        return self._release(cut, findings)

    def finish(self) -> str:
        """Everything still held, redacted."""
        if not self.pending:
            return ""
        return self._release(len(self.pending), self.find(self.pending))

    def _cut(self, findings: Sequence[Finding]) -> int:
        cut = len(self.pending) - self.hold_back
        boundary = max(self.pending.rfind(" ", 0, cut + 1), self.pending.rfind("\n", 0, cut + 1))
        if boundary > 0:
            cut = boundary
        for finding in sorted(findings, key=lambda f: f.start, reverse=True):
            if finding.start < cut < finding.end:
                cut = finding.start
        return cut

    def _release(self, cut: int, findings: Sequence[Finding]) -> str:
        if cut <= 0:
            return ""
        inside = [f for f in findings if f.end <= cut]
        self.counts.update(f.entity_type for f in inside)
        released = self.rewrite(self.pending[:cut], inside)
        self.pending = self.pending[cut:]
        return released
