"""The demo corpus: deterministic bytes, parseable formats, planted PII, and a small planted disparity."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from appliance.demo import CLOSING_LINE, LOAN_COLUMNS, DemoCorpus, generate_demo_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> DemoCorpus:
    return generate_demo_corpus(tmp_path_factory.mktemp("demo") / "corpus", seed=0)


def _hashes(corpus: DemoCorpus) -> dict[str, str]:
    return {
        path.relative_to(corpus.root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in corpus.files
    }


def _loan_rows(corpus: DemoCorpus) -> list[dict[str, str]]:
    with (corpus.root / "loan_notes.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _transcripts(corpus: DemoCorpus) -> list[dict]:
    lines = (corpus.root / "chats" / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_same_seed_gives_identical_bytes(corpus: DemoCorpus, tmp_path: Path) -> None:
    again = generate_demo_corpus(tmp_path / "again", seed=0)

    assert _hashes(again) == _hashes(corpus)
    assert again.planted_pii == corpus.planted_pii


def test_regenerating_into_the_same_folder_is_stable_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    first = generate_demo_corpus(tmp_path, seed=3)
    hashes = _hashes(first)
    second = generate_demo_corpus(tmp_path, seed=3)

    assert _hashes(second) == hashes
    assert sorted(path for path in tmp_path.rglob("*") if path.is_file()) == list(second.files)


def test_a_different_seed_gives_different_files(corpus: DemoCorpus, tmp_path: Path) -> None:
    other = generate_demo_corpus(tmp_path / "other", seed=1)
    ours, theirs = _hashes(corpus), _hashes(other)

    assert ours.keys() == theirs.keys()
    for name in ("chats/transcripts.jsonl", "loan_notes.csv", "emails/email_001.txt", "policies/privacy-notice.md"):
        assert ours[name] != theirs[name]
    assert other.planted_pii != corpus.planted_pii


def test_layout_counts_and_size(corpus: DemoCorpus) -> None:
    names = [path.relative_to(corpus.root).as_posix() for path in corpus.files]

    assert names == sorted(names)
    assert all(path.is_file() for path in corpus.files)
    assert sum(name.startswith("emails/") and name.endswith(".txt") for name in names) == 20
    assert sorted(name for name in names if name.startswith("policies/")) == [
        "policies/card-disputes.md", "policies/fees.md", "policies/lending-standards.md", "policies/privacy-notice.md",
    ]
    assert {"README.md", "chats/transcripts.jsonl", "loan_notes.csv"} <= set(names)
    assert len(names) == 27
    assert sum(path.stat().st_size for path in corpus.files) < 400_000


def test_chat_transcripts_alternate_user_and_assistant(corpus: DemoCorpus) -> None:
    transcripts = _transcripts(corpus)

    assert len(transcripts) == 80
    for transcript in transcripts:
        assert set(transcript) == {"customer_id", "messages"}
        assert re.fullmatch(r"C\d{4}", transcript["customer_id"])
        messages = transcript["messages"]
        if messages[0]["role"] == "system":
            messages = messages[1:]
        assert len(messages) in (4, 6)
        assert [m["role"] for m in messages] == ["user", "assistant"] * (len(messages) // 2)
        assert all(set(m) == {"role", "content"} and m["content"].strip() for m in messages)
        assert messages[-1]["content"].endswith(CLOSING_LINE)
    assert len({t["customer_id"] for t in transcripts}) == 80
    assert any(t["messages"][0]["role"] == "system" for t in transcripts)
    assert any(t["messages"][0]["role"] == "user" for t in transcripts)


def test_assistant_turns_repeat_only_masked_details(corpus: DemoCorpus) -> None:
    assistant_text = "\n".join(
        m["content"] for t in _transcripts(corpus) for m in t["messages"] if m["role"] == "assistant"
    )

    assert [value for value in corpus.planted_pii if value in assistant_text] == []
    assert re.search(r"account ending in \d{4}\b", assistant_text)


def test_emails_have_headers_and_a_signed_body(corpus: DemoCorpus) -> None:
    for path in sorted((corpus.root / "emails").glob("*.txt")):
        header, body = path.read_text(encoding="utf-8").split("\n\n", 1)
        lines = header.splitlines()
        sender = re.fullmatch(r"From: (.+) <([^@\s]+@(?:example\.com|example\.org|mail\.example))>", lines[0])
        assert sender, path.name
        assert lines[1] == "To: support@northwind-bank.example"
        assert lines[2].startswith("Subject: ") and len(lines) == 3
        name, phone = body.rstrip("\n").splitlines()[-2:]
        assert name == sender.group(1)
        assert phone in corpus.planted_pii and "555" in phone


def test_policies_are_long_enough_to_chunk_and_one_names_a_contact(corpus: DemoCorpus) -> None:
    texts = {path.name: path.read_text(encoding="utf-8") for path in (corpus.root / "policies").glob("*.md")}

    assert all(text.startswith("# ") and text.count("\n\n") >= 3 for text in texts.values())
    assert max(len(text) for text in texts.values()) > 1500
    with_contact = [name for name, text in texts.items() if any(value in text for value in corpus.planted_pii)]
    assert with_contact == ["privacy-notice.md"]


def test_loan_notes_csv_columns_and_groups(corpus: DemoCorpus) -> None:
    rows = _loan_rows(corpus)
    with (corpus.root / "loan_notes.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))

    assert tuple(header) == LOAN_COLUMNS
    assert len(rows) == 150
    assert all(None not in row and all(row.values()) for row in rows)  # quoting kept every note in one field
    assert len({row["note_id"] for row in rows}) == 150
    assert {row["outcome"] for row in rows} == {"approved", "declined"}
    genders = [row["gender"] for row in rows]
    assert set(genders) == {"female", "male", "nonbinary"}
    assert 0 < genders.count("nonbinary") < 5
    assert {row["age_band"] for row in rows} == {"18-29", "30-44", "45-64", "65+"}
    assert {row["ethnicity"] for row in rows} == {"group_a", "group_b", "group_c", "group_d"}
    assert any("," in row["note"] for row in rows)


LENDING_LIMITS = {"excellent": 43, "good": 36, "fair": 28, "poor": -1}


def test_loan_outcomes_are_learnable_from_the_note_text(corpus: DemoCorpus) -> None:
    rows = _loan_rows(corpus)
    agree = 0
    for row in rows:
        dti = int(re.search(r"debt-to-income ratio (\d+)%", row["note"]).group(1))
        grade = re.search(r"\b(excellent|good|fair|poor)\b", row["note"], re.IGNORECASE).group(1).lower()
        agree += (dti <= LENDING_LIMITS[grade]) == (row["outcome"] == "approved")

    assert agree / len(rows) >= 0.9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outcome_rates_differ_between_ethnicity_groups_but_not_absurdly(seed: int, tmp_path: Path) -> None:
    approved: dict[str, list[bool]] = defaultdict(list)
    for row in _loan_rows(generate_demo_corpus(tmp_path, seed=seed)):
        approved[row["ethnicity"]].append(row["outcome"] == "approved")
    rates = {group: sum(values) / len(values) for group, values in approved.items()}

    assert min(rates, key=rates.get) == "group_d"
    assert 0.08 <= max(rates.values()) - min(rates.values()) <= 0.3
    assert all(0.25 <= rate <= 0.75 for rate in rates.values())


def test_planted_pii_is_unique_sorted_and_covers_every_kind(corpus: DemoCorpus) -> None:
    planted = corpus.planted_pii

    assert list(planted) == sorted(set(planted))
    assert any(re.fullmatch(r"9\d\d-\d\d-\d{4}", value) for value in planted)
    assert any(re.fullmatch(r"\d{10,12}", value) for value in planted)
    assert any(re.fullmatch(r"\(555\) 01\d-\d{4}", value) for value in planted)
    assert any(re.fullmatch(r"555-01\d-\d{4}", value) for value in planted)
    assert any(value.endswith(("@example.com", "@example.org", "@mail.example")) for value in planted)
    assert any(re.fullmatch(r"\d+ [A-Z][a-z]+ [A-Z][a-z]+, [A-Za-z]+, [A-Z]{2} \d{5}", value) for value in planted)
    assert any(re.fullmatch(r"\d\d/\d\d/\d{4}", value) for value in planted)
    assert any(re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", value) for value in planted)
    assert any(re.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+", value) for value in planted)


def test_every_planted_value_occurs_in_the_data_files(corpus: DemoCorpus) -> None:
    data = "\n".join(path.read_text(encoding="utf-8") for path in corpus.files if path.name != "README.md")

    assert [value for value in corpus.planted_pii if value not in data] == []


def test_no_planted_value_in_file_names_or_readme(corpus: DemoCorpus) -> None:
    names = "\n".join(path.relative_to(corpus.root).as_posix() for path in corpus.files)
    readme = (corpus.root / "README.md").read_text(encoding="utf-8")

    assert [value for value in corpus.planted_pii if value in names or value in readme] == []
