"""Zip and tar archives read in place, never extracted to disk; bounded so a bomb is refused, not expanded.

An archive is refused whole (ArchiveRefused, before any member is read) when its declared contents
pass the bounds; a member that would escape the archive, is a link or special file, or is
encrypted or damaged is refused on its own and quarantined with its reason.
"""

from __future__ import annotations

import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from appliance.config import IngestConfig

RATIO_FLOOR = 1 << 20  # small members compress absurdly well legitimately (a page of spaces); ratio applies above this
LINK_REFUSED = "link inside the archive refused (it could point outside the archive); archive the file itself"
SPECIAL_REFUSED = "special file (device, pipe) inside the archive refused; archive regular files only"
_DAMAGE = (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, NotImplementedError, RuntimeError)


class ArchiveRefused(Exception):
    """The whole archive is refused; the message is the one-line quarantine reason."""


@dataclass(frozen=True)
class Member:
    """One file inside an archive: its bytes, or the reason it was refused."""

    name: str
    data: bytes | None
    reason: str = ""


def unsafe_name_reason(name: str) -> str:
    """Why an entry name would escape the archive ('' when it stays inside)."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "absolute path inside the archive refused (entries must stay inside it); re-create the archive with relative paths"
    if ".." in PurePosixPath(posix).parts:
        return "path escaping the archive ('..') refused; re-create the archive with relative paths"
    return ""


def check_bounds(entries: int, expanded: int, archive_bytes: int, config: IngestConfig) -> None:
    if entries > config.archive_max_members:
        raise ArchiveRefused(f"archive holds more than {config.archive_max_members} entries (ingest.archive_max_members); split it or raise the limit")
    if expanded > config.archive_max_bytes:
        raise ArchiveRefused(f"archive would expand past {config.archive_max_bytes} bytes (ingest.archive_max_bytes); extract and check it, or raise the limit")
    if expanded > RATIO_FLOOR and expanded > config.archive_max_ratio * max(archive_bytes, 1):
        raise ArchiveRefused(
            f"archive would expand {expanded // max(archive_bytes, 1)} times its size (a zip bomb?), past ingest.archive_max_ratio {config.archive_max_ratio:g}; not expanded"
        )


def _member_ratio_reason(expanded: int, compressed: int, config: IngestConfig) -> str:
    if expanded > RATIO_FLOOR and expanded > config.archive_max_ratio * max(compressed, 1):
        return f"member would expand {expanded // max(compressed, 1)} times its compressed size (a zip bomb?), past ingest.archive_max_ratio; not expanded"
    return ""


def iter_members(path: Path, archive_format: str, config: IngestConfig) -> Iterator[Member]:
    """Every file entry, in archive order. Raises ArchiveRefused before yielding anything."""
    size = path.stat().st_size
    return _zip_members(path, size, config) if archive_format == "zip" else _tar_members(path, size, config)


def _zip_members(path: Path, size: int, config: IngestConfig) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except _DAMAGE:
        raise ArchiveRefused("not a valid zip archive (could not read its directory); re-create it") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        check_bounds(len(infos), sum(info.file_size for info in infos), size, config)
        budget = config.archive_max_bytes
        for info in infos:
            reason = unsafe_name_reason(info.filename)
            if not reason and stat.S_ISLNK(info.external_attr >> 16):
                reason = LINK_REFUSED
            if not reason and info.flag_bits & 0x1:
                reason = "encrypted archive member; extract it with its password and ingest the files"
            reason = reason or _member_ratio_reason(info.file_size, info.compress_size, config)
            if reason:
                yield Member(info.filename, None, reason)
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(budget + 1)  # never more than the bound, whatever the header claims
            except _DAMAGE as exc:
                yield Member(info.filename, None, f"damaged archive member ({type(exc).__name__}); re-create the archive")
                continue
            if len(data) > budget:
                yield Member(info.filename, None, "member expands past ingest.archive_max_bytes; extract and check the archive")
                continue
            budget -= len(data)
            yield Member(info.filename, data)


def _tar_members(path: Path, size: int, config: IngestConfig) -> Iterator[Member]:
    try:
        archive = tarfile.open(path, "r:*")
    except _DAMAGE:
        raise ArchiveRefused("not a valid tar archive (could not read it); re-create it") from None
    with archive:
        infos: list[tarfile.TarInfo] = []
        expanded = 0
        try:
            for info in archive:  # headers only; stops at the first bound passed, before reading further
                if info.isdir():
                    continue
                infos.append(info)
                expanded += info.size if info.isreg() else 0
                check_bounds(len(infos), expanded, size, config)
        except _DAMAGE:
            raise ArchiveRefused("damaged tar archive (could not read every header); re-create it") from None
        for info in infos:
            reason = unsafe_name_reason(info.name)
            if not reason and (info.issym() or info.islnk()):
                reason = LINK_REFUSED
            if not reason and not info.isreg():
                reason = SPECIAL_REFUSED
            if reason:
                yield Member(info.name, None, reason)
                continue
            try:
                handle = archive.extractfile(info)
                data = handle.read(info.size) if handle is not None else b""
            except _DAMAGE as exc:
                yield Member(info.name, None, f"damaged archive member ({type(exc).__name__}); re-create the archive")
                continue
            yield Member(info.name, data)
