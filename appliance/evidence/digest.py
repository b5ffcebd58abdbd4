"""The manifest digest the report embeds: the manifest without its report stage, canonically hashed."""

from __future__ import annotations

import hashlib
from typing import Any

from appliance.records import dumps

REPORT_STAGE = "report"


def manifest_without_report(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as the report stage saw it: every field, every stage but its own."""
    stages = {name: stage for name, stage in manifest.get("stages", {}).items() if name != REPORT_STAGE}
    return {**manifest, "stages": stages}


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the manifest minus its report stage.

    Canonical JSON (sorted keys, no whitespace) rather than the file's bytes, so the digest does
    not depend on how the manifest happens to be indented on disk.

    Example:
        >>> manifest_digest({"run_id": "r1", "stages": {}}) == manifest_digest({"stages": {"report": {}}, "run_id": "r1"})
        True
    """
    return hashlib.sha256(dumps(manifest_without_report(manifest)).encode()).hexdigest()


def report_artifacts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every output of every stage but the report, sorted by path: what the report vouches for."""
    unique = {(f["path"], f["sha256"], f["bytes"]) for name, stage in manifest.get("stages", {}).items() if name != REPORT_STAGE for f in stage.get("outputs", [])}
    return [{"path": path, "sha256": sha, "bytes": size} for path, sha, size in sorted(unique)]
