"""Zip and tar archives are read in place: members through the same readers, escapes refused, bombs not expanded."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest

from appliance.config import IngestConfig
from appliance.ingest import discover, ingest_files, samples

PROSE = [samples.sentences(random.Random(i), 3).encode() for i in range(4)]


def run(folder: Path, **config):
    files = discover([folder])
    return files, ingest_files(files, IngestConfig(**config), ())


def statuses(result) -> dict[str, tuple[str, str]]:
    return {o.path: (o.status, o.reason) for o in result.outcomes}


@pytest.mark.parametrize(("name", "build"), [("bundle.zip", samples.make_zip), ("bundle.tar.gz", samples.make_tar), ("bundle.tar", lambda m, s: samples.make_tar(m, s, compression=""))])
def test_members_go_through_the_readers_and_escapes_are_refused(tmp_path: Path, name: str, build) -> None:
    members = {
        "inner/notes.txt": PROSE[0],
        "inner/page.html": samples.make_html("Rates", [PROSE[1].decode()]),
        "../escape.txt": PROSE[2],
        "/etc/absolute.txt": PROSE[3],
        "inner/photo.png": b"\x89PNG\r\n",
        "deeper.zip": samples.make_zip({"x.txt": PROSE[0]}),
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(build(members, {"inner/link.txt": "/etc/passwd"}))
    files, result = run(tmp_path / "in")
    shown = statuses(result)
    prefix = f"in/{name}!"
    assert shown[prefix + "inner/notes.txt"] == ("records", "")
    assert shown[prefix + "inner/page.html"] == ("records", "")
    assert shown[prefix + "../escape.txt"] == ("quarantined", "path escaping the archive ('..') refused; re-create the archive with relative paths")
    assert shown[prefix + "/etc/absolute.txt"][1].startswith("absolute path inside the archive refused")
    assert shown[prefix + "inner/link.txt"] == ("quarantined", "link inside the archive refused (it could point outside the archive); archive the file itself")
    assert shown[prefix + "inner/photo.png"] == ("quarantined", "unsupported file type '.png'")
    assert shown[prefix + "deeper.zip"][1].startswith("archive inside an archive is not expanded")
    assert len(shown) == 7, "every member has exactly one outcome; the archive itself has none"
    counts = result.counts()
    assert counts["archives_expanded"] == 1 and counts["archive_members"] == 7
    assert counts["files_in"] == len(files) - counts["archives_expanded"] + counts["archive_members"]
    record = next(r for r in result.records if r.source.path == prefix + "inner/notes.txt")
    assert record.source.location.startswith("chars 0-") and len(record.source.sha256) == 64


def test_zip_bomb_is_quarantined_without_being_expanded(tmp_path: Path) -> None:
    bomb = samples.make_zip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bomb.zip").write_bytes(bomb)
    tracemalloc.start()
    _, result = run(tmp_path / "in", workers=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    (outcome,) = result.outcomes
    assert outcome.status == "quarantined" and outcome.format == "zip"
    assert outcome.reason.startswith("archive would expand 10") and "a zip bomb?" in outcome.reason
    assert peak < 8 * 1024 * 1024, "the bomb was refused from its directory, not expanded"


def test_tar_bomb_and_total_size_bound(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "zeros.tar.gz").write_bytes(samples.make_tar({"zeros.txt": b"\0" * (16 * 1024 * 1024)}))
    (tmp_path / "in" / "big.zip").write_bytes(samples.make_zip({"a.txt": PROSE[0] * 40, "b.txt": PROSE[1] * 40}))
    _, result = run(tmp_path / "in", archive_max_bytes=4000)
    shown = statuses(result)
    assert shown["in/zeros.tar.gz"][1].startswith("archive would expand past 4000 bytes (ingest.archive_max_bytes)")
    assert shown["in/big.zip"][1].startswith("archive would expand past 4000 bytes")
    _, result = run(tmp_path / "in")
    assert "a zip bomb?" in statuses(result)["in/zeros.tar.gz"][1]


def test_member_count_bound_and_encrypted_and_damaged_archives(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "many.zip").write_bytes(samples.make_zip({f"{i}.txt": PROSE[0] for i in range(5)}))
    locked = bytearray(samples.make_zip({"secret.txt": PROSE[1]}))
    central = locked.index(b"PK\x01\x02")
    locked[6] |= 0x1  # the "encrypted" flag, in the local header and the central directory
    locked[central + 8] |= 0x1
    (tmp_path / "in" / "locked.zip").write_bytes(bytes(locked))
    (tmp_path / "in" / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "in" / "broken.tgz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    (tmp_path / "in" / "empty.zip").write_bytes(samples.make_zip({}))
    _, result = run(tmp_path / "in", archive_max_members=3)
    shown = statuses(result)
    assert shown["in/many.zip"][1].startswith("archive holds more than 3 entries (ingest.archive_max_members)")
    assert shown["in/locked.zip!secret.txt"][1].startswith("encrypted archive member")
    assert shown["in/broken.zip"][1] == "not a valid zip archive (could not read its directory); re-create it"
    assert shown["in/broken.tgz"][1].startswith("not a valid tar archive")
    assert shown["in/empty.zip"][1] == "archive holds no files; check it was created correctly"
    assert all(status == "quarantined" and "\n" not in reason for status, reason in shown.values())


def test_duplicate_archives_and_members_duplicating_files(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    archive = samples.make_zip({"a.txt": PROSE[0], "b.txt": PROSE[1]})
    (tmp_path / "in" / "1.zip").write_bytes(archive)
    (tmp_path / "in" / "2.zip").write_bytes(archive)
    (tmp_path / "in" / "3.txt").write_bytes(PROSE[1])
    files, result = run(tmp_path / "in")
    shown = statuses(result)
    assert shown == {
        "in/1.zip!a.txt": ("records", ""),
        "in/1.zip!b.txt": ("records", ""),
        "in/2.zip": ("duplicate", "same bytes as in/1.zip"),
        "in/3.txt": ("duplicate", "same bytes as in/1.zip!b.txt"),
    }
    counts = result.counts()
    assert counts["files_in"] == len(files) - counts["archives_expanded"] + counts["archive_members"] == 4
    assert [a.path for a in result.archives] == ["in/1.zip"] and result.archives[0].members == 2
