"""The run directory: its layout, its manifest, and the lock that keeps two runs apart."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pickle
import platform
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.errors import ApplianceError
from appliance.files import json_document, process_alive, sha256_file, sweep_orphaned_temp_files, write_bytes
from appliance.records import FileEntry, StageRecord
from appliance.vault import vault_dir

STAGES = ("ingest", "scrub", "audit", "train", "evaluate", "compare", "report")
VAULT_PREFIX = "vault:"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class RunDir:
    """A run directory on disk. Stages write into their own folder; the manifest ties them together.

    `read_only`: a view for processes that work beside the one holding the lock (the other ranks
    of a multi-process training run): it never creates, locks or sweeps, and refuses to write the manifest.
    """

    def __init__(self, root: Path, *, read_only: bool = False) -> None:
        self.root = root.resolve()
        self.manifest_path = self.root / "manifest.json"
        self.read_only = read_only
        # (inode, mtime, size) of the manifest last parsed, the parsed dict (never handed out) and its pickle.
        self._cached: tuple[tuple[int, int, int], dict[str, Any], bytes] | None = None

    @classmethod
    def open(cls, root: Path, create: bool = True, *, read_only: bool = False) -> RunDir:
        """The run directory at `root`, made (0700, with a new manifest) when missing and `create`.

        Example: RunDir.open(Path("runs/r1"), create=False, read_only=True)  # a training rank beside rank 0
        """
        run = cls(root, read_only=read_only)
        if run.manifest_path.exists():
            run._manifest()  # fail early on a damaged manifest
            return run
        if not create or read_only:
            raise ApplianceError(f"{root} is not a run directory (no manifest.json); create one with `appliance ingest SOURCES --run {root}`")
        run.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(run.root, 0o700)
        run.save_manifest(new_manifest())
        return run

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict of the caller's own, free to change before save_manifest."""
        self._manifest()
        assert self._cached is not None
        # A copy, so no caller can change what the next one reads; unpickling our own bytes is a
        # deep copy at a fraction of the cost of parsing the JSON again.
        return pickle.loads(self._cached[2])

    def _manifest(self) -> dict[str, Any]:
        """The parsed manifest, shared: read from disk only when the file changed (every write replaces it)."""
        try:
            with self.manifest_path.open("rb") as handle:
                status = os.fstat(handle.fileno())
                stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
                if self._cached is None or self._cached[0] != stamp:
                    data = json.loads(handle.read())
                    self._cached = (stamp, data, pickle.dumps(data, pickle.HIGHEST_PROTOCOL))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApplianceError(f"{self.manifest_path} cannot be read ({exc.__class__.__name__}); the run directory is damaged") from None
        return self._cached[1]

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        """Write the manifest, signed as it is written; refused when the one on disk was edited outside the appliance."""
        # Imported here: the evidence package reads run directories itself.
        from appliance.evidence.signing import sealed_manifest_write

        if self.read_only:
            raise ApplianceError(f"{self.root} is open read-only here; only the process holding its lock writes the manifest")
        document = json_document(manifest).encode("utf-8")
        with sealed_manifest_write(self.root, document):
            write_bytes(self.manifest_path, document)
        self._cached = None  # the caller may still change `manifest`: read back what was written

    def update_manifest(self, **fields: Any) -> None:
        manifest = self.manifest
        manifest.update(fields)
        self.save_manifest(manifest)

    @property
    def run_id(self) -> str:
        return str(self._manifest()["run_id"])

    @property
    def vault(self) -> Path:
        return vault_dir(self.run_id)

    def stage_dir(self, stage: str) -> Path:
        folder = self.root / stage
        folder.mkdir(exist_ok=True, mode=0o700)
        return folder

    def entry(self, path: Path) -> FileEntry:
        """A FileEntry for a file in the run directory or in its vault."""
        path = path.resolve()
        if path.is_relative_to(self.root):
            name = path.relative_to(self.root).as_posix()
        elif path.is_relative_to(self.vault):
            name = VAULT_PREFIX + path.relative_to(self.vault).as_posix()
        else:
            name = str(path)
        return FileEntry(path=name, sha256=sha256_file(path), bytes=path.stat().st_size)

    def resolve_entry(self, name: str) -> Path:
        if name.startswith(VAULT_PREFIX):
            return self.vault / name[len(VAULT_PREFIX):]
        return self.root / name

    def stage_record(self, stage: str) -> StageRecord | None:
        data = self._manifest().get("stages", {}).get(stage)
        return StageRecord.from_json(pickle.loads(pickle.dumps(data))) if data else None  # the caller's own copy

    def record_stage(self, record: StageRecord) -> None:
        """Mark a stage complete: only called after every output is written and hashed."""
        manifest = self.manifest
        manifest.setdefault("stages", {})[record.stage] = record.to_json()
        self.save_manifest(manifest)

    def forget_stage(self, stage: str) -> None:
        manifest = self.manifest
        manifest.get("stages", {}).pop(stage, None)
        self.save_manifest(manifest)

    def changed_outputs(self, record: StageRecord) -> list[str]:
        """Outputs of a recorded stage that are missing or differ from their recorded hash."""
        changed = []
        for output in record.outputs:
            path = self.resolve_entry(output.path)
            if not path.is_file() or path.stat().st_size != output.bytes or sha256_file(path) != output.sha256:
                changed.append(output.path)
        return changed

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One process at a time per run directory; a lock left by a dead process is taken over.

        Once taken, temp files and scratch folders left by dead writers (a SIGKILL mid-write) are
        removed from the run directory and its vault: otherwise only a later write of the same file would.
        A read-only view holds nothing: the lock belongs to the process it works beside.
        """
        if self.read_only:
            yield
            return
        lock_path = self.root / ".lock"
        while True:
            try:
                fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                break
            except FileExistsError:
                holder = _lock_holder(lock_path)
                if holder is not None and process_alive(holder):
                    raise ApplianceError(f"{self.root} is in use by process {holder}; wait for it to finish (or stop it) and try again") from None
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock_path)  # stale: its process is gone
        try:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            sweep_orphaned_temp_files(self.root)
            sweep_orphaned_temp_files(self.vault)
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path)


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or "0") or None
    except (OSError, ValueError):
        return None


def new_manifest() -> dict[str, Any]:
    return {
        "run_id": uuid.uuid4().hex[:16],
        "appliance_version": __version__,
        "created": now(),
        "environment": {"python": platform.python_version(), "platform": platform.platform(terse=True)},
        "stages": {},
    }
