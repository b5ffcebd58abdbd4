"""The streaming output guard: spans that straddle chunks are still redacted, and little is held back."""

from __future__ import annotations

import re

import pytest

from appliance.records import Finding
from appliance.serve.guard import PiiGuard, PromptRefused, StreamRedactor
from policies.loader import load_policy

EMAIL = re.compile(r"[\w.]+@[\w.]+\.\w+")
TEXT = "Hello there, please write to maria.lopez@example.org about the loan, or to bob@bank.test later on. Thanks a lot, friend."


def find_emails(text: str) -> list[Finding]:
    return [Finding("EMAIL_ADDRESS", m.start(), m.end(), 1.0) for m in EMAIL.finditer(text)]


def rewrite(text: str, findings) -> str:
    for f in sorted(findings, key=lambda f: f.start, reverse=True):
        text = text[: f.start] + f"<{f.entity_type}>" + text[f.end :]
    return text


def run_stream(chunks: list[str], hold_back: int = 32, min_release: int = 4) -> tuple[list[str], StreamRedactor]:
    redactor = StreamRedactor(find_emails, rewrite, hold_back=hold_back, min_release=min_release)
    released = [redactor.feed(chunk) for chunk in chunks]
    released.append(redactor.finish())
    return released, redactor


EXPECTED = rewrite(TEXT, find_emails(TEXT))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11, 40, len(TEXT)])
def test_every_chunking_gives_the_whole_redaction(size: int) -> None:
    chunks = [TEXT[i : i + size] for i in range(0, len(TEXT), size)]
    released, redactor = run_stream(chunks)
    assert "".join(released) == EXPECTED
    assert redactor.counts == {"EMAIL_ADDRESS": 2}


@pytest.mark.parametrize("split", range(len("maria.lopez@example.org") + 1))
def test_an_email_split_at_any_point_never_leaks(split: int) -> None:
    start = TEXT.index("maria.lopez")
    cut = start + split
    released, _ = run_stream([TEXT[:cut], TEXT[cut:]])
    assert "".join(released) == EXPECTED
    assert not any("maria" in part or "example.org" in part for part in released)


def test_text_is_released_before_the_end_of_the_stream() -> None:
    words = [w + " " for w in ("word " * 60).split()]
    released, _ = run_stream(words, hold_back=32, min_release=4)
    assert sum(len(part) for part in released[:-1]) > 200, "only the held-back tail waits for finish()"
    assert len(released[-1]) <= 32 + 4 + 5


def test_a_span_found_across_the_cut_is_held_whole() -> None:
    redactor = StreamRedactor(find_emails, rewrite, hold_back=8, min_release=1)
    first = redactor.feed("write to someone.with.a.long.name@example.org")
    assert "someone" not in first
    assert first + redactor.finish() == "write to <EMAIL_ADDRESS>"


@pytest.fixture(scope="module")
def guard() -> PiiGuard:
    return PiiGuard(load_policy("default"), input_mode="refuse")


def test_real_guard_redacts_pii_split_over_chunks(guard: PiiGuard) -> None:
    chunks = ["Please contact John ", "Smith at john.sm", "ith@example.com or ", "212-555-", "0123 before Friday. ", "We are happy to help you with the loan."]
    redactor = guard.stream_redactor()
    text = "".join(redactor.feed(c) for c in chunks) + redactor.finish()
    assert "john.smith@example.com" not in text and "212-555-0123" not in text and "John" not in text
    assert "<EMAIL_ADDRESS>" in text and "<PHONE_NUMBER>" in text and text.endswith("help you with the loan.")
    assert redactor.counts["EMAIL_ADDRESS"] == 1 and redactor.counts["PHONE_NUMBER"] == 1


def test_real_guard_refuses_and_names_only_types(guard: PiiGuard) -> None:
    with pytest.raises(PromptRefused) as caught:
        guard.check_input(["hello", "mail me at jane.doe@example.com"])
    assert caught.value.entity_types == ["EMAIL_ADDRESS"]
    assert "jane" not in str(caught.value)
    assert guard.check_input(["How do I reset my PIN?"])[0] == ["How do I reset my PIN?"]
