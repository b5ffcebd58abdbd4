"""Build real files of every supported format in memory, for tests and the ingest benchmark.

No binary fixtures are checked in: each builder writes the format with the library (or the
standard) that defines it, so a test reads a file exactly as an export would produce it.
"""

from __future__ import annotations

import io
import json
import random
import stat
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path

_WORDS = (
    "account balance branch card charge statement transfer payment deposit loan rate interest fee policy customer "
    "review request support online mobile secure verify identity limit daily monthly annual report export record "
    "process service update notice contract term renewal claim refund dispute approve decline schedule meeting "
    "quarter budget forecast revenue margin vendor invoice audit control risk compliance training team manager"
).split()


def sentences(rng: random.Random, count: int) -> str:
    """Plausible-looking prose: distinct per seed, so near-duplicate removal leaves it alone."""
    out = []
    for _ in range(count):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 16))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def _pdf_string(line: str) -> bytes:
    escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def make_pdf(pages: Sequence[str]) -> bytes:
    """A PDF whose pages carry the given text in a Helvetica text layer; an empty string gives a page with no text."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(), b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        content = b""
        if text:
            lines = b" ".join(_pdf_string(line) + b" Tj T*" for line in text.split("\n"))
            content = b"BT /F1 11 Tf 14 TL 72 740 Td " + lines + b" ET"
        resources = "/Resources << /Font << /F1 3 0 R >> >>"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {resources} /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_encrypted_pdf(text: str, password: str = "s3cret") -> bytes:
    """A PDF that needs a password to open (pypdf's own encryption)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([text]))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_docx(paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> bytes:
    """A Word document (python-docx): the paragraphs, then a table with the given rows."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_html(title: str, paragraphs: Sequence[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title><style>p {{ color: red; }}</style></head><body>"
        "<header><a href='/'>Home</a> | <a href='/about'>About us</a></header><nav><ul><li>Menu item</li></ul></nav>"
        f"<main><h1>{title}</h1>{body}</main><script>var tracking = 'pixel';</script>"
        "<footer>Copyright footer text</footer></body></html>"
    ).encode()


def make_email(sender: str, to: str, subject: str, body: str, attachments: Mapping[str, bytes | str] = {}, date: str = "Tue, 02 Jan 2024 10:00:00 +0000") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Date"] = sender, to, subject, date
    message.set_content(body)
    for name, data in attachments.items():
        if isinstance(data, str):
            message.add_attachment(data, filename=name)
        else:
            message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def make_mbox(messages: Sequence[bytes]) -> bytes:
    out = []
    for message in messages:
        lines = [b">" + line if line.startswith(b"From ") else line for line in message.replace(b"\r\n", b"\n").split(b"\n")]
        out.append(b"From sender@example.com Tue Jan  2 10:00:00 2024\n" + b"\n".join(lines).rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def _stamp(seconds: float, comma: bool) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"
    return text.replace(".", ",") if comma else text


def make_vtt(turns: Sequence[tuple[str, str]]) -> bytes:
    """WebVTT with voice tags: <v Speaker>text."""
    cues = [f"{i + 1}\n{_stamp(i * 4, False)} --> {_stamp(i * 4 + 3.5, False)}\n<v {who}>{said}</v>" for i, (who, said) in enumerate(turns)]
    return ("WEBVTT\n\n" + "\n\n".join(cues) + "\n").encode()


def make_srt(turns: Sequence[tuple[str, str]]) -> bytes:
    """SubRip with 'Speaker: text' lines."""
    cues = [f"{i + 1}\n{_stamp(i * 4, True)} --> {_stamp(i * 4 + 3.5, True)}\n{who}: {said}" for i, (who, said) in enumerate(turns)]
    return ("\n\n".join(cues) + "\n").encode()


def make_zip(members: Mapping[str, bytes], symlinks: Mapping[str, str] = {}) -> bytes:
    """A zip of the members (names taken as given, even '../x'), plus symbolic-link entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
        for name, target in symlinks.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 0, 0, 0))
            info.create_system = 3  # unix, so the mode bits below are meaningful
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def make_tar(members: Mapping[str, bytes], symlinks: Mapping[str, str] = {}, compression: str = "gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1704153600
            archive.addfile(info, io.BytesIO(data))
        for name, target in symlinks.items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, 1704153600
            archive.addfile(info)
    return buffer.getvalue()


def make_zip_bomb(expanded_bytes: int = 64 * 1024 * 1024) -> bytes:
    """One member of zeros: tiny on disk, `expanded_bytes` when expanded (written in blocks, never held)."""
    buffer = io.BytesIO()
    block = b"\x00" * (1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("notes.txt", date_time=(2024, 1, 2, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as handle:
            for _ in range(expanded_bytes // len(block)):
                handle.write(block)
    return buffer.getvalue()


def _sample_file(kind: str, rng: random.Random) -> bytes:
    text = sentences(rng, rng.randint(3, 12))
    if kind == "txt":
        return text.encode()
    if kind == "md":
        return f"# {sentences(rng, 1)}\n\n{text}\n\n{sentences(rng, 4)}".encode()
    if kind == "jsonl":
        chat = {"messages": [{"role": "user", "content": sentences(rng, 1)}, {"role": "assistant", "content": sentences(rng, 2)}]}
        return (json.dumps(chat) + "\n" + json.dumps({"prompt": sentences(rng, 1), "completion": sentences(rng, 1)}) + "\n").encode()
    if kind == "json":
        return json.dumps([{"text": text}, {"text": sentences(rng, 3)}]).encode()
    if kind == "csv":
        rows = [f"{i},\"{sentences(rng, 2)}\",{rng.choice(['approved', 'declined'])}" for i in range(5)]
        return ("customer_id,text,outcome\n" + "\n".join(rows) + "\n").encode()
    if kind == "html":
        return make_html(sentences(rng, 1)[:40], [text, sentences(rng, 3)])
    if kind == "pdf":
        return make_pdf([sentences(rng, 2), sentences(rng, 3)])
    if kind == "docx":
        return make_docx([text], [["Item", "Value"], [sentences(rng, 1), "ten"]])
    if kind == "eml":
        return make_email("sender@example.com", "team@example.com", sentences(rng, 1)[:60], text)
    if kind == "mbox":
        return make_mbox([make_email("a@example.com", "b@example.com", "Update", sentences(rng, 3)) for _ in range(3)])
    if kind in ("vtt", "srt"):
        turns = [("Customer" if i % 2 == 0 else "Agent", sentences(rng, 1)) for i in range(6)]
        return make_vtt(turns) if kind == "vtt" else make_srt(turns)
    if kind == "zip":
        return make_zip({f"part{i}.txt": sentences(rng, 4).encode() for i in range(3)})
    return make_tar({f"part{i}.md": sentences(rng, 4).encode() for i in range(3)})


SAMPLE_KINDS = ("txt", "md", "jsonl", "json", "csv", "html", "pdf", "docx", "eml", "mbox", "vtt", "srt", "zip", "tar.gz")


def write_corpus(folder: Path, count: int, seed: int = 0) -> int:
    """`count` files of every supported kind (plus a few duplicates and broken files); returns bytes written."""
    rng = random.Random(seed)
    written = 0
    for i in range(count):
        kind = SAMPLE_KINDS[i % len(SAMPLE_KINDS)]
        if i % 97 == 96:
            data, kind = b"\x00\x01\x02 broken", "txt"
        elif i % 89 == 88:
            data = (folder / f"{(i - 14) // 100:03d}" / f"doc{i - 14:05d}.{kind}").read_bytes()  # an exact duplicate
        else:
            data = _sample_file(kind, rng)
        path = folder / f"{i // 100:03d}" / f"doc{i:05d}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += len(data)
    return written
