"""The run directory: its layout, its manifest, and the lock that keeps two runs apart."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.errors import ApplianceError
from appliance.files import process_alive, sha256_file, write_json
from appliance.records import FileEntry, StageRecord
from appliance.vault import vault_dir

STAGES = ("ingest", "scrub", "audit", "train", "evaluate", "compare", "report")
VAULT_PREFIX = "vault:"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class RunDir:
    """A run directory on disk. Stages write into their own folder; the manifest ties them together."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.manifest_path = self.root / "manifest.json"

    @classmethod
    def open(cls, root: Path, create: bool = True) -> RunDir:
        run = cls(root)
        if run.manifest_path.exists():
            run.manifest  # noqa: B018  (fail early on a damaged manifest)
            return run
        if not create:
            raise ApplianceError(f"{root} is not a run directory (no manifest.json); create one with `appliance ingest SOURCES --run {root}`")
        run.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(run.root, 0o700)
        write_json(run.manifest_path, new_manifest())
        return run

    @property
    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ApplianceError(f"{self.manifest_path} cannot be read ({exc.__class__.__name__}); the run directory is damaged") from None

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.manifest_path, manifest)

    def update_manifest(self, **fields: Any) -> None:
        manifest = self.manifest
        manifest.update(fields)
        self.save_manifest(manifest)

    @property
    def run_id(self) -> str:
        return str(self.manifest["run_id"])

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
        data = self.manifest.get("stages", {}).get(stage)
        return StageRecord.from_json(data) if data else None

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
        """One process at a time per run directory; a lock left by a dead process is taken over."""
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
