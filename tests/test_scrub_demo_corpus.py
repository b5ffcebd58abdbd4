"""The scrubber on the demo corpus, which lists every PII value it plants: none may survive.

Kept apart from test_scrub_engine.py because it goes through ingest: a problem there
fails this file only.
"""

from __future__ import annotations

import json
from pathlib import Path

from appliance.config import IngestConfig
from appliance.demo import generate_demo_corpus
from appliance.ingest import discover, ingest_files
from policies import load_policy
from scrubbers import ResidualScanner, Scrubber

SALT = b"demo-corpus-test-salt-0123456789"


def test_demo_corpus_scrubs_without_a_planted_value_left(tmp_path: Path) -> None:
    corpus = generate_demo_corpus(tmp_path / "corpus", seed=0)
    policy = load_policy("banking")
    records = ingest_files(discover([corpus.root]), IngestConfig(text_column="note"), policy.fairness.sensitive_attributes).records
    kept = [outcome.record for outcome in Scrubber(policy, salt=SALT).scrub(records) if outcome.record is not None]
    written = "\n".join(json.dumps(record.to_json(), ensure_ascii=False) for record in kept)
    leaked = sum(value in written for value in corpus.planted_pii)
    assert len(kept) == len(records) > 100 and leaked == 0, f"{leaked} planted values survived"
    assert ResidualScanner(policy).scan(kept).findings == 0
