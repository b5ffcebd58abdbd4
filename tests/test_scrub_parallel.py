"""Scrubbing across processes gives the same outcomes, in the same order, as one process."""

from __future__ import annotations

from appliance.records import Record, Source
from policies import load_policy
from scrubbers.parallel import parallel_scrub
from appliance.stages.scrub import scrub_workers

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
