"""Scrubbing across processes gives the same outcomes, in the same order, as one process."""

from __future__ import annotations

import io
import json

import pytest

from appliance.records import Record, Source
from appliance.stages.scrub import ScrubTally, residual_report, scrub_workers, write_outcomes
from policies import load_policy
from scrubbers import ResidualScanner
from scrubbers.parallel import parallel_scrub

SOURCE = Source(path="inbox/export.csv", sha256="0" * 64, location="row 1")
SALT = b"parallel-test-salt-0123456789abc"


def _records() -> list[Record]:
    texts = ["Call Maria Lopez at 555-123-4567.", "Nothing to see.", "Email jane.doe@example.com", "SSN 123-45-6789"] * 3
    return [Record(id=f"r{i}", kind="document", source=SOURCE, text=text) for i, text in enumerate(texts)]


def test_two_workers_match_one_in_order() -> None:
    policy = load_policy("default")
    with parallel_scrub(policy, SALT, workers=1, batch_size=3) as scrub:
        single = list(scrub(_records()))
    with parallel_scrub(policy, SALT, workers=2, batch_size=3) as scrub:
        pooled = list(scrub(iter(_records())))
    assert [o.record_id for o in pooled] == [f"r{i}" for i in range(12)]
    assert pooled == single


def test_scrub_workers(monkeypatch) -> None:
    monkeypatch.delenv("APPLIANCE_SCRUB_WORKERS", raising=False)
    assert scrub_workers(10_000) == 1
    monkeypatch.setenv("APPLIANCE_SCRUB_WORKERS", "3")
    assert scrub_workers(10) == 3


class _LeadCheckingHandle(io.StringIO):
    """A records file that notes, at every row written, how far the input had been read ahead."""

    def __init__(self, pulled: list[int]) -> None:
        super().__init__()
        self.pulled, self.rows, self.most_ahead = pulled, 0, 0

    def write(self, text: str) -> int:
        if text == "\n":
            self.rows += 1
            self.most_ahead = max(self.most_ahead, self.pulled[0] - self.rows)
        return super().write(text)


def test_scrub_stage_streams_in_bounded_batches() -> None:
    """The stage writes as it goes: the input is never read more than a batch or two ahead of the output."""
    policy = load_policy("default")
    pulled = [0]

    def corpus(count: int):
        for i in range(count):
            pulled[0] += 1
            yield Record(id=f"r{i}", kind="document", source=SOURCE, text=f"Ticket {i}: call Maria Lopez at 555-123-{i % 10000:04d}.")

    records_out, findings_out, tally = _LeadCheckingHandle(pulled), io.StringIO(), ScrubTally()
    with parallel_scrub(policy, SALT, workers=1, batch_size=8) as scrub:
        kept = write_outcomes(scrub(corpus(120)), records_out, findings_out, tally)
        report = ResidualScanner(policy, batch_size=8).scan(outcome.record for outcome in kept)
    assert (tally.records_in, tally.records_out, report.records_scanned) == (120, 120, 120)
    assert records_out.rows == 120 and findings_out.getvalue().count("\n") == tally.findings_by_type.total() >= 240
    # One scrub batch plus one residual batch in flight at most; a stage that collected the corpus would be 119 ahead.
    assert records_out.most_ahead <= 16
    first = json.loads(records_out.getvalue().splitlines()[0])
    assert first["id"] == "r0" and "Maria" not in first["text"] and "555-123" not in first["text"]


def test_the_leak_rescan_in_the_workers_counts_what_a_separate_scan_counts() -> None:
    policy = load_policy("default")
    texts = ["Call Maria Lopez at 555-123-4567.", "Her SSN, by the way: 123 45 6789 (spaced)."] * 3
    records = [Record(id=f"r{i}", kind="document", source=SOURCE, text=text) for i, text in enumerate(texts)]
    with parallel_scrub(policy, SALT, workers=1, batch_size=4, rescan=True) as scrub:
        kept = [outcome for outcome in scrub(records) if outcome.record is not None]
    separate = ResidualScanner(policy).scan(outcome.record for outcome in kept)
    along = residual_report(kept, policy)
    assert all(outcome.residual is not None for outcome in kept)
    assert along.to_json() == separate.to_json() and along.records_scanned == len(kept)


def test_scrub_engine_comes_from_the_environment_then_the_run_config(monkeypatch) -> None:
    from appliance.config import RunConfig
    from appliance.errors import ApplianceError
    from appliance.stages.scrub import scrub_engine

    on_ray = RunConfig.model_validate({"scrub": {"engine": "ray"}})
    monkeypatch.delenv("APPLIANCE_SCRUB_ENGINE", raising=False)
    assert (scrub_engine(RunConfig()), scrub_engine(on_ray)) == ("local", "ray")
    monkeypatch.setenv("APPLIANCE_SCRUB_ENGINE", "local")
    assert scrub_engine(on_ray) == "local"
    monkeypatch.setenv("APPLIANCE_SCRUB_ENGINE", "spark")
    with pytest.raises(ApplianceError, match=r"^APPLIANCE_SCRUB_ENGINE='spark' is not an engine; use one of: local, ray$"):
        scrub_engine(RunConfig())


def test_a_worker_forgets_the_token_strings_of_each_batch() -> None:
    """spaCy keeps every new string it sees; unfreed, a long scrub's memory would grow with the corpus."""
    import random

    from scrubbers.nlp import LANGUAGE, shared_nlp_engine

    rng = random.Random(7)

    def unique_records(prefix: str) -> list[Record]:
        words = lambda: " ".join("".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9)) for _ in range(6))  # noqa: E731
        return [Record(id=f"{prefix}{i}", kind="document", source=SOURCE, text=f"Call Maria Lopez at 555-123-4567 about {words()}.") for i in range(20)]

    strings = shared_nlp_engine().get_nlp(LANGUAGE).vocab.strings
    with parallel_scrub(load_policy("default"), SALT, workers=1, rescan=True) as scrub:
        first = list(scrub(unique_records("a")))
        after_first = len(strings)
        second = list(scrub(unique_records("b")))
        assert len(strings) == after_first  # 120 new words, none kept
    # Findings are still made and carried out of the block as plain values.
    assert all(any(f.entity_type == "PHONE_NUMBER" for f in outcome.findings) for outcome in first + second)
    assert all("555-123-4567" not in outcome.record.text for outcome in second)
