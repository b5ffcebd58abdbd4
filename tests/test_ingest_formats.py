"""One test per format family, each on a real file the test builds (no binary fixtures)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files, samples
from appliance.ingest.readers import READERS, reader_for
from appliance.ingest.readers.transcript import assign_roles


def ingest_one(tmp_path: Path, name: str, data: bytes, **config):
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    result = ingest_files(discover([path]), IngestConfig(**config), ("gender",))
    assert len(result.outcomes) == 1
    return result.outcomes[0], result.records


PROSE = samples.sentences(random.Random(7), 4)


def test_html_keeps_visible_text_and_drops_page_furniture(tmp_path: Path) -> None:
    outcome, records = ingest_one(tmp_path, "fees.html", samples.make_html("Fee schedule", [PROSE, "A wire transfer costs fifteen dollars."]))
    assert outcome.status == "records" and outcome.format == "html"
    (record,) = records
    assert record.kind == "document" and record.source.location.startswith("chars 0-")
    assert record.text == f"Fee schedule\n\n{PROSE}\n\nA wire transfer costs fifteen dollars."
    for furniture in ("Home", "About us", "Menu item", "tracking", "color: red", "Copyright"):
        assert furniture not in record.text


def test_html_in_a_declared_charset_is_decoded_and_undeclared_bad_bytes_are_quarantined(tmp_path: Path) -> None:
    page = "<html><head><meta charset='iso-8859-1'></head><body><p>Caf\xe9 au lait is served every single morning.</p></body></html>"
    outcome, records = ingest_one(tmp_path, "cafe.htm", page.encode("latin-1"))
    assert records[0].text == "Café au lait is served every single morning."
    outcome, _ = ingest_one(tmp_path, "bad.html", "<p>Caf\xe9 au lait is served every single morning.</p>".encode("latin-1"))
    assert outcome.status == "quarantined" and outcome.reason.startswith("not valid UTF-8 (byte offset 6)")


def test_pdf_text_layer_is_read_page_by_page(tmp_path: Path) -> None:
    pages = ["Opening hours are nine to five on weekdays.", "", "Wire transfers cost fifteen dollars within the country."]
    outcome, records = ingest_one(tmp_path, "guide.pdf", samples.make_pdf(pages))
    assert outcome.status == "records" and outcome.format == "pdf" and outcome.records == 2
    assert [(r.source.location, r.text) for r in records] == [("page 1", pages[0]), ("page 3", pages[2])]
    assert records[1].metadata == {"page": 3}


def test_long_pdf_page_is_chunked_with_page_and_offsets(tmp_path: Path) -> None:
    lines = [samples.sentences(random.Random(i), 2) for i in range(12)]
    _, records = ingest_one(tmp_path, "long.pdf", samples.make_pdf(["\n".join(lines)]), max_chunk_chars=400)
    assert len(records) > 1
    assert all(r.source.location.startswith("page 1 chars ") and len(r.text) <= 400 for r in records)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("scan.pdf", samples.make_pdf(["", ""]), "no text layer (OCR not enabled)"),
        ("locked.pdf", samples.make_encrypted_pdf("Quarterly numbers are confidential."), "password-protected PDF; save a copy without a password and ingest that"),
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf at all", None),
    ],
)
def test_unusable_pdfs_are_quarantined_with_one_line_reasons(tmp_path: Path, name: str, data: bytes, reason: str | None) -> None:
    outcome, records = ingest_one(tmp_path, name, data)
    assert outcome.status == "quarantined" and records == []
    if reason is not None:
        assert outcome.reason == reason
    assert "\n" not in outcome.reason and outcome.reason


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    data = samples.make_docx(["Branch procedures for the new quarter.", PROSE], [["Product", "Monthly fee"], ["Checking account", "five dollars"]])
    outcome, records = ingest_one(tmp_path, "procedures.docx", data)
    assert outcome.status == "records" and outcome.format == "docx"
    assert records[0].text == f"Branch procedures for the new quarter.\n\n{PROSE}\n\nProduct | Monthly fee\nChecking account | five dollars"


def test_damaged_docx_is_quarantined(tmp_path: Path) -> None:
    outcome, _ = ingest_one(tmp_path, "broken.docx", samples.make_zip({"hello.txt": b"not a word document"}))
    assert outcome.status == "quarantined" and outcome.reason.startswith("not a valid DOCX")


def test_docx_bomb_is_refused_before_python_docx_opens_it(tmp_path: Path) -> None:
    outcome, _ = ingest_one(tmp_path, "bomb.docx", samples.make_zip({"word/document.xml": b" " * (16 * 1024 * 1024)}))
    assert outcome.status == "quarantined" and outcome.reason.startswith("DOCX would expand to 16777216 bytes")


def test_json_list_holds_the_same_objects_as_jsonl_lines(tmp_path: Path) -> None:
    items = [
        {"customer_id": "C9", "gender": "female", "messages": [{"role": "user", "content": "Can I raise my card limit?"}, {"role": "assistant", "content": "Yes, from the card settings page."}]},
        {"prompt": "What is the daily ATM limit?", "completion": "Five hundred dollars a day."},
        {"text": "Branches open at nine and close at five.", "outcome": "info"},
    ]
    outcome, records = ingest_one(tmp_path, "export.json", json.dumps(items).encode())
    assert outcome.status == "records" and outcome.format == "json"
    assert [(r.kind, r.source.location) for r in records] == [("chat", "item 1"), ("qa", "item 2"), ("document", "item 3")]
    assert records[0].subject_id == "C9" and "gender" not in records[0].metadata and records[2].label == "info"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"text": "a single object"}', "top-level JSON is an object, not a list of objects; wrap the objects in [ ] or export JSONL"),
        (b"[1, 2", "not valid JSON"),
        (b'[{"body": "x"}]', "item 1 has none of 'messages', 'prompt'+'completion' or 'text'; found keys: ['body']"),
    ],
)
def test_bad_json_is_quarantined(tmp_path: Path, data: bytes, reason: str) -> None:
    outcome, _ = ingest_one(tmp_path, "bad.json", data)
    assert outcome.status == "quarantined" and outcome.reason.startswith(reason)


def test_email_addresses_go_to_text_not_metadata_and_text_attachments_are_read(tmp_path: Path) -> None:
    data = samples.make_email(
        "Maria Lopez <maria.lopez@example.com>", "support@bank.example", "Card replacement", PROSE, {"steps.txt": "Call the card line and confirm the address on file.", "scan.png": b"\x89PNG\r\n"}
    )
    outcome, records = ingest_one(tmp_path, "thread.eml", data)
    assert outcome.status == "records" and outcome.format == "email"
    (record,) = records
    assert record.kind == "email" and record.source.location.startswith("message 1 chars 0-")
    assert record.text.startswith("From: Maria Lopez <maria.lopez@example.com>\nTo: support@bank.example\nSubject: Card replacement\n\n" + PROSE)
    assert record.text.endswith("Attachment steps.txt:\n\nCall the card line and confirm the address on file.")
    assert record.metadata == {"subject": "Card replacement", "date": "2024-01-02T10:00:00+00:00", "attachments_skipped": 1}
    assert "maria" not in json.dumps(record.metadata).lower()


def test_mbox_gives_one_record_per_message(tmp_path: Path) -> None:
    first = samples.make_email("a@example.com", "b@example.com", "Rates", "The savings rate rises next month.\nFrom now on it is two percent.")
    second = samples.make_email("c@example.com", "d@example.com", "Fees", "The monthly fee is waived for students.")
    outcome, records = ingest_one(tmp_path, "inbox.mbox", samples.make_mbox([first, second]))
    assert outcome.status == "records" and outcome.records == 2
    assert [r.source.location.split(" chars")[0] for r in records] == ["message 1", "message 2"]
    assert "\nFrom now on it is two percent." in records[0].text, "a body line escaped as '>From' is restored"
    outcome, _ = ingest_one(tmp_path, "notmbox.mbox", b"Subject: hi\n\nbody text here\n")
    assert outcome.status == "quarantined" and outcome.reason.startswith("not an mbox file")


def test_vtt_speakers_become_roles_with_turns_merged_and_timestamps_dropped(tmp_path: Path) -> None:
    turns = [
        ("Alice", "Hi, my card was declined at the store."),
        ("Support Agent", "Sorry to hear that."),
        ("Support Agent", "Let me check the account for you."),
        ("Alice", "Thank you, I appreciate it."),
    ]
    outcome, records = ingest_one(tmp_path, "call.vtt", samples.make_vtt(turns))
    assert outcome.status == "records" and outcome.format == "webvtt"
    (record,) = records
    assert record.kind == "transcript" and record.source.location == "cues 1-4"
    assert [(m.role, m.content) for m in record.messages] == [
        ("user", "Hi, my card was declined at the store."),
        ("assistant", "Sorry to hear that. Let me check the account for you."),
        ("user", "Thank you, I appreciate it."),
    ]
    assert "Alice" not in json.dumps(record.to_json()) and "-->" not in json.dumps(record.to_json())


def test_srt_labels_first_speaker_is_the_user(tmp_path: Path) -> None:
    turns = [("Bob", "I want to close my savings account."), ("Carol", "I can help with that today."), ("Bob", "Great, thanks a lot.")]
    outcome, records = ingest_one(tmp_path, "call.srt", samples.make_srt(turns))
    assert outcome.format == "srt"
    assert [m.role for m in records[0].messages] == ["user", "assistant", "user"]
    assert records[0].metadata == {"speakers": 2, "cues": 3}


def test_long_transcript_splits_between_turns_with_cue_ranges(tmp_path: Path) -> None:
    turns = [("Customer" if i % 2 == 0 else "Rep", samples.sentences(random.Random(i), 3)) for i in range(12)]
    _, records = ingest_one(tmp_path, "long.vtt", samples.make_vtt(turns), max_chunk_chars=600)
    locations = [r.source.location for r in records]
    assert len(records) > 1 and locations[0].startswith("cues 1-") and locations[-1].endswith("-12")
    assert sum(len(r.messages) for r in records) == 12


def test_transcript_without_two_sides_is_text_and_without_cues_is_quarantined(tmp_path: Path) -> None:
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nWelcome to the quarterly results call.\n\n00:00:04.000 --> 00:00:06.000\nRevenue grew in every region.\n"
    _, records = ingest_one(tmp_path, "talk.vtt", data)
    assert records[0].text == "Welcome to the quarterly results call. Revenue grew in every region." and records[0].messages is None
    outcome, _ = ingest_one(tmp_path, "empty.srt", b"just some words without any timing lines at all\n")
    assert outcome.status == "quarantined" and outcome.reason.startswith("no cues found")


@pytest.mark.parametrize(
    ("speakers", "roles"),
    [
        (["Alice", "Bob"], ["user", "assistant"]),
        (["Agent Smith", "Alice"], ["assistant", "user"]),
        (["Alice", "Customer Service Representative"], ["user", "assistant"]),
        (["Caller", "Dana"], ["user", "assistant"]),
    ],
)
def test_role_assignment(speakers: list[str], roles: list[str]) -> None:
    assigned = assign_roles(speakers)
    assert [assigned[s] for s in speakers] == roles


def test_every_registered_suffix_has_a_reader() -> None:
    assert {fmt for fmt, _ in READERS.values()} >= {"html", "pdf", "docx", "json", "jsonl", "email", "mbox", "webvtt", "srt", "text", "csv"}
    assert reader_for("A.PDF")[0] == "pdf" and reader_for("x.unknown") is None


def test_email_prefers_plain_over_html_and_reads_forwarded_messages(tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    inner = message_from_bytes(samples.make_email("x@example.com", "y@example.com", "Original", "The original request about the card limit."), policy=policy.default)
    outer = message_from_bytes(samples.make_email("a@example.com", "b@example.com", "Fwd: Original", "See the request below."), policy=policy.default)
    outer.add_alternative("<p>See the <b>request</b> below.</p>", subtype="html")
    outer.add_attachment(inner)
    _, records = ingest_one(tmp_path, "fwd.eml", bytes(outer))
    text = records[0].text
    assert text.count("See the request below.") == 1 and "<b>" not in text
    assert "Forwarded message:\n\nFrom: x@example.com\nTo: y@example.com\nSubject: Original\n\nThe original request about the card limit." in text
    html_only = samples.make_email("a@example.com", "b@example.com", "Rates", "placeholder")
    html_only = html_only.replace(b"text/plain", b"text/html").replace(b"placeholder", b"<p>Savings rates rise <i>next</i> month.</p>")
    _, records = ingest_one(tmp_path, "html.eml", html_only)
    assert records[0].text.endswith("Subject: Rates\n\nSavings rates rise next month.")
