"""Ingest: every file ends in exactly one outcome; bad files are quarantined with a one-line reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.config import IngestConfig
from appliance.errors import ApplianceError
from appliance.ingest import discover, ingest_files
from appliance.ingest.readers import chunk_text

SENSITIVE = ("gender", "age_band")


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    write(root, "notes/welcome.txt", "Welcome to the bank. Our branches open at nine.\n\nWe close at five on weekdays.")
    write(root, "guide.md", "# Fees\n\nA wire transfer costs fifteen dollars within the country.")
    chats = [
        {"customer_id": "C1", "messages": [{"role": "user", "content": "How do I reset my online banking password?"}, {"role": "assistant", "content": "Use the Forgot password link on the sign-in page."}]},
        {"prompt": "What is the daily ATM limit?", "completion": "The daily ATM limit is five hundred dollars."},
    ]
    write(root, "chats.jsonl", "\n".join(json.dumps(c) for c in chats) + "\n")
    write(root, "loans.csv", "customer_id,text,outcome,gender,age_band,branch\nC2,Applicant has stable income and low debt ratio.,approved,female,30-44,North\nC3,Applicant has missed three payments this year.,declined,male,18-29,South\n")
    write(root, "zz-copy-of-guide.md", (root / "guide.md").read_bytes())
    write(root, "empty.txt", b"")
    write(root, "binary.txt", b"\x00\x01\x02\x03" * 50)
    write(root, "latin1.txt", "Caf\xe9 au lait, tr\xe8s bien, merci beaucoup.".encode("latin-1"))
    write(root, "image.png", b"\x89PNG\r\n\x1a\n")
    write(root, "broken.jsonl", '{"messages": [{"role": "user", "content": "hi"}]}\nnot json\n')
    write(root, "short.txt", "ok")
    return root


def test_every_input_file_is_accounted_for_exactly_once(corpus: Path) -> None:
    files = discover([corpus])
    result = ingest_files(files, IngestConfig(), SENSITIVE)
    statuses = {o.path.split("/", 1)[1]: o.status for o in result.outcomes}
    assert statuses == {
        "notes/welcome.txt": "records",
        "guide.md": "records",
        "chats.jsonl": "records",
        "loans.csv": "records",
        "zz-copy-of-guide.md": "duplicate",
        "empty.txt": "quarantined",
        "binary.txt": "quarantined",
        "latin1.txt": "quarantined",
        "image.png": "quarantined",
        "broken.jsonl": "quarantined",
        "short.txt": "filtered",
    }
    counts = result.counts()
    assert counts["files_in"] == len(files) == 11
    assert counts["files_in"] == counts["files_with_records"] + counts["files_duplicate"] + counts["files_filtered"] + counts["files_quarantined"]


def test_quarantine_reasons_are_one_line_and_actionable(corpus: Path) -> None:
    result = ingest_files(discover([corpus]), IngestConfig(), SENSITIVE)
    reasons = {o.path.rsplit("/", 1)[1]: o.reason for o in result.outcomes if o.status == "quarantined"}
    assert reasons["empty.txt"] == "empty file (0 bytes)"
    assert reasons["binary.txt"].startswith("binary content")
    assert "not valid UTF-8 (byte offset 3)" in reasons["latin1.txt"]
    assert reasons["image.png"] == "unsupported file type '.png'"
    assert "line 1" in reasons["broken.jsonl"] and "assistant" in reasons["broken.jsonl"]
    assert all("\n" not in r for r in reasons.values())


def test_records_carry_provenance_kinds_and_sidecar(corpus: Path) -> None:
    result = ingest_files(discover([corpus]), IngestConfig(), SENSITIVE)
    by_kind = {}
    for record in result.records:
        by_kind.setdefault(record.kind, []).append(record)
    assert sorted(by_kind) == ["chat", "document", "qa"]
    chat = by_kind["chat"][0]
    assert chat.subject_id == "C1" and chat.source.location == "line 1" and len(chat.source.sha256) == 64
    loans = [r for r in result.records if r.source.path.endswith("loans.csv")]
    assert [r.label for r in loans] == ["approved", "declined"]
    assert loans[0].metadata == {"branch": "North"}, "sensitive columns never reach metadata"
    assert "female" not in json.dumps([r.to_json() for r in result.records])
    assert result.sidecar == [
        {"record_id": loans[0].id, "attributes": {"gender": "female", "age_band": "30-44"}, "label": "approved"},
        {"record_id": loans[1].id, "attributes": {"gender": "male", "age_band": "18-29"}, "label": "declined"},
    ]


def test_record_ids_are_stable_across_runs(corpus: Path) -> None:
    first = ingest_files(discover([corpus]), IngestConfig(), SENSITIVE)
    second = ingest_files(discover([corpus]), IngestConfig(), SENSITIVE)
    assert [r.id for r in first.records] == [r.id for r in second.records]


def test_csv_without_the_text_column_names_the_columns(tmp_path: Path) -> None:
    write(tmp_path, "d.csv", "id,body\n1,hello there my friend\n")
    result = ingest_files(discover([tmp_path]), IngestConfig(), SENSITIVE)
    assert result.outcomes[0].reason == "no text column 'text' (found columns: id, body); set ingest.text_column in the run config"


def test_missing_source_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ApplianceError, match="does not exist"):
        discover([tmp_path / "nowhere"])


def test_long_documents_are_chunked_on_paragraphs_with_offsets() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 40 for i in range(10)]
    text = "\n\n".join(paragraphs)
    chunks = chunk_text(text, max_chars=500)
    assert len(chunks) > 1
    for location, chunk in chunks:
        start, end = (int(x) for x in location.removeprefix("chars ").split("-"))
        assert text[start:end].strip() == chunk
        assert len(chunk) <= 500
    assert " ".join(c for _, c in chunks).split() == text.split(), "no word lost or repeated"
