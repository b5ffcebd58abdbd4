"""Where kept records go as ingest streams them: a list (tests, small inputs) or the sealed vault files.

A file gives all its records or none: when one fails half-way, the sink rolls back to the mark
taken before it. The sealed sink writes straight to the vault's temp files and rolls back by
truncating them, so no list of records is ever held, however large the corpus.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.files import atomic_writer
from appliance.records import Record
from appliance.vault import seal_line, vault_key


class RecordSink(Protocol):
    def add(self, record: Record, sidecar: dict[str, Any] | None) -> None: ...

    def mark(self) -> tuple[int, ...]: ...

    def roll_back(self, mark: tuple[int, ...]) -> None: ...


@dataclass
class ListSink:
    """Records kept in memory, for callers that want them as objects (tests, benchmarks)."""

    records: list[Record] = field(default_factory=list)
    sidecar: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: Record, sidecar: dict[str, Any] | None) -> None:
        self.records.append(record)
        if sidecar is not None:
            self.sidecar.append(sidecar)

    def mark(self) -> tuple[int, ...]:
        return len(self.records), len(self.sidecar)

    def roll_back(self, mark: tuple[int, ...]) -> None:
        del self.records[mark[0] :]
        del self.sidecar[mark[1] :]


class _SealedLines:
    """Lines sealed one by one, in the format of appliance.vault.write_sealed_jsonl (read back with read_sealed_jsonl)."""

    def __init__(self, handle: IO[bytes], name: str, aead: AESGCM) -> None:
        self.handle, self.associated, self.aead = handle, name.encode(), aead

    def write(self, row: dict[str, Any]) -> None:
        self.handle.write(seal_line(self.aead, self.associated, row) + b"\n")

    def position(self) -> int:
        return self.handle.tell()

    def truncate(self, offset: int) -> None:
        self.handle.seek(offset)
        self.handle.truncate()


class SealedSink:
    """Records and sidecar rows sealed into two vault files as they arrive; both appear only on success."""

    def __init__(self, records: _SealedLines, sidecar: _SealedLines, scratch_dir: Path) -> None:
        self._records, self._sidecar = records, sidecar
        # Where ingest keeps its duplicate indexes meanwhile: beside the records, in the run's vault
        # (outside the run directory, never shared with it), swept by the run's lock if a crash leaves them.
        self.scratch_dir = scratch_dir

    def add(self, record: Record, sidecar: dict[str, Any] | None) -> None:
        self._records.write(record.to_json())
        if sidecar is not None:
            self._sidecar.write(sidecar)

    def mark(self) -> tuple[int, ...]:
        """Byte offsets of both files."""
        return self._records.position(), self._sidecar.position()

    def roll_back(self, mark: tuple[int, ...]) -> None:
        self._records.truncate(mark[0])
        self._sidecar.truncate(mark[1])


@contextlib.contextmanager
def sealed_sink(records_path: Path, sidecar_path: Path) -> Iterator[SealedSink]:
    """Both files written atomically: an exception (or a crash) leaves the previous files, never half ones."""
    aead = AESGCM(vault_key())
    with ExitStack() as stack:
        records = stack.enter_context(atomic_writer(records_path, "wb"))
        sidecar = stack.enter_context(atomic_writer(sidecar_path, "wb"))
        yield SealedSink(_SealedLines(records, records_path.name, aead), _SealedLines(sidecar, sidecar_path.name, aead), records_path.parent)
