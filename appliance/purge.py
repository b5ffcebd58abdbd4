"""Right to erasure: remove one data subject's records from a run, and say what must be retrained.

`purge_subject(run_root, subject_id)` removes every record whose `subject_id` (captured before
redaction) is the given id from the sealed raw records, the sealed demographics sidecar, the
scrubbed corpus and its findings, the training split and the per-record evaluation; it rebuilds
the re-identification vault without the subject's surrogates; re-hashes the changed outputs in
the manifest; records the erasure (the subject as a salted HMAC, never raw; counts; time); and
lists the trained adapters that saw the subject. Their stages keep their old fingerprints, so the
next `appliance run` retrains them from the purged corpus.

Crash safety: the erasure is written to the manifest as "in progress" before any file changes,
so a purge killed half-way can be re-run with the same id and finishes the job.

Example:
    >>> result = purge_subject(Path("runs/r1"), "C-1042")
    >>> result.removed["raw_records"], result.retrain
    (3, ['train/adapter'])
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.files import read_json, read_jsonl, write_json, write_jsonl
from appliance.keys import erasure_salt
from appliance.rundir import RunDir, now
from appliance.vault import read_sealed_jsonl, write_sealed_jsonl

RAW_RECORDS = "raw-records.jsonl.enc"
SIDECAR = "sidecar.jsonl.enc"
SCRUBBED = "scrub/records.jsonl"
FINDINGS = "scrub/findings.jsonl"
SPLIT = "train/split.json"
ADAPTER = "train/adapter"
CHECKPOINTS = "train/checkpoints"
PER_RECORD = "evaluate/per_record.jsonl"
ANSWERS = "compare/answers.jsonl"
RETRIEVAL_INDEX = "compare"
REPORT_STAGE = "report"


@dataclass
class Erasure:
    """What a purge removed (or, with dry_run, would remove); counts only, never the subject's data."""

    subject_hash: str
    dry_run: bool
    removed: dict[str, int] = field(default_factory=dict)
    # Adapters trained on at least one of the subject's records: they must be retrained.
    retrain: list[str] = field(default_factory=list)
    # Stages whose outputs described the subject and that the next `appliance run` redoes.
    stale_stages: list[str] = field(default_factory=list)
    reidentification_vault: str = "absent"  # absent, rebuilt, deleted (no officer key to re-seal to)
    report_withdrawn: bool = False
    erased_at: str = ""

    def to_manifest(self, status: str) -> dict[str, Any]:
        data = asdict(self)
        del data["dry_run"]
        return {**data, "status": status}


def subject_hash(subject_id: str, salt: bytes | None = None) -> str:
    """HMAC-SHA256 of the id under this installation's erasure salt: stable here, not reversible elsewhere."""
    return hmac.new(salt or erasure_salt(), subject_id.encode("utf-8"), hashlib.sha256).hexdigest()


def erased_subjects(run: RunDir) -> set[str]:
    """The salted hashes of every subject erased from this run (for ingest to keep them out on a re-run)."""
    return {e["subject_hash"] for e in run.manifest.get("erasures", [])}


def is_erased(run: RunDir) -> Callable[[str | None], bool]:
    """A predicate for ingest: True for a subject id this run has erased."""
    erased = erased_subjects(run)
    if not erased:
        return lambda subject_id: False
    salt = erasure_salt()  # read once: the predicate runs for every ingested record
    return lambda subject_id: subject_id is not None and subject_hash(subject_id, salt) in erased


def purge_subject(run_root: Path, subject_id: str, *, dry_run: bool = False) -> Erasure:
    """Remove `subject_id`'s records from the run at `run_root`; with dry_run, only count them."""
    if not subject_id.strip():
        raise ApplianceError("--subject is empty; give the data subject's id as it appears in the subject column (e.g. customer_id)")
    run = RunDir.open(run_root, create=False)
    if "ingest" not in run.manifest.get("stages", {}):
        raise ApplianceError(f"{run.root} has no ingest stage recorded, so it holds no records to purge")
    hashed = subject_hash(subject_id)
    if dry_run:
        return _plan(run, subject_id, hashed, dry_run=True)
    with run.lock():
        pending = [e for e in run.manifest.get("erasures", []) if e["subject_hash"] == hashed and e.get("status") == "in progress"]
        # A purge killed half-way is finished with the plan it started from: the files may already be clean.
        erasure = _resume(pending[-1]) if pending else _plan(run, subject_id, hashed, dry_run=False)
        _record_erasure(run, erasure, "in progress")
        _rewrite(run, subject_id, erasure)
        _rehash_outputs(run)
        if erasure.report_withdrawn:
            _withdraw_report(run)
        erasure.erased_at = now()
        _record_erasure(run, erasure, "complete")
        from appliance.evidence import sign_run

        sign_run(run)
    return erasure


def _resume(pending: dict[str, Any]) -> Erasure:
    fields = {k: v for k, v in pending.items() if k != "status"}
    return Erasure(**fields, dry_run=False)


def _plan(run: RunDir, subject_id: str, hashed: str, *, dry_run: bool) -> Erasure:
    erasure = Erasure(subject_hash=hashed, dry_run=dry_run)
    ids = _subject_record_ids(run, subject_id)
    if not ids:
        raise ApplianceError(
            f"no records of subject {hashed[:12]} (salted hash) in {run.root}; subject ids match exactly the value of the ingest subject column (e.g. customer_id)"
        )
    removed = erasure.removed
    removed["raw_records"] = len(ids)
    removed["sidecar_rows"] = _count(_sealed_rows(run, SIDECAR), lambda row: row["record_id"] in ids)
    scrubbed = run.root / SCRUBBED
    removed["scrubbed_records"] = _count(_rows(scrubbed), lambda row: _belongs(row, subject_id, ids))
    removed["findings"] = _count(_rows(run.root / FINDINGS), lambda row: row["record_id"] in ids)
    removed["evaluated_records"] = _count(_rows(run.root / PER_RECORD), lambda row: row["record_id"] in ids)
    split = _split(run)
    trained_on = sum(1 for i in split.get("train", []) if i in ids)
    removed["split_entries"] = trained_on + sum(1 for i in split.get("validation", []) if i in ids)
    stages = run.manifest.get("stages", {})
    # A recorded train stage without a readable split is assumed to have seen the subject: erasure errs on the safe side.
    if "train" in stages and (trained_on or not split):
        erasure.retrain.append(ADAPTER)
    if (run.root / CHECKPOINTS).exists() and (trained_on or not split):
        erasure.retrain.append(CHECKPOINTS)
    erasure.stale_stages = [s for s in ("scrub", "audit", "train", "evaluate", "compare", "report") if s in stages]
    erasure.report_withdrawn = REPORT_STAGE in stages
    vault_file = _reidentification_path(run)
    erasure.reidentification_vault = "absent" if not vault_file.is_file() else ("rebuilt" if _officer_key().is_file() else "deleted")
    return erasure


def _subject_record_ids(run: RunDir, subject_id: str) -> set[str]:
    """Ids of the subject's records, from the sealed raw records and (for a half-done purge) the scrubbed corpus."""
    ids = {row["id"] for row in _sealed_rows(run, RAW_RECORDS) if row.get("subject_id") == subject_id}
    ids |= {row["id"] for row in _rows(run.root / SCRUBBED) if row.get("subject_id") == subject_id}
    return ids


def _belongs(row: dict[str, Any], subject_id: str, ids: set[str]) -> bool:
    return row.get("subject_id") == subject_id or row.get("id") in ids


def _rewrite(run: RunDir, subject_id: str, erasure: Erasure) -> None:
    """Rewrite every file holding the subject's records; each write is atomic, and a re-run repeats it safely."""
    ids = _subject_record_ids(run, subject_id)
    vault = run.vault
    scrubbed = run.root / SCRUBBED
    if (vault / SIDECAR).is_file():
        rows = list(_sealed_rows(run, SIDECAR))  # read whole: the rewrite replaces the file being read
        write_sealed_jsonl(vault / SIDECAR, (r for r in rows if r["record_id"] not in ids))
    for path, keep in (
        (scrubbed, lambda row: not _belongs(row, subject_id, ids)),
        (run.root / FINDINGS, lambda row: row["record_id"] not in ids),
        (run.root / PER_RECORD, lambda row: row["record_id"] not in ids),
        (run.root / ANSWERS, lambda row: row["record_id"] not in ids),
    ):
        if path.is_file():
            write_jsonl(path, [row for row in read_jsonl(path) if keep(row)])
    split_path = run.root / SPLIT
    if split_path.is_file():
        split = read_json(split_path)
        for side in ("train", "validation"):
            split[side] = [i for i in split.get(side, []) if i not in ids]
        write_json(split_path, split)
    _purge_retrieval_index(run.root / RETRIEVAL_INDEX, ids)
    if erasure.reidentification_vault != "absent":
        _reseal_reidentification(run, ids)
    if CHECKPOINTS in erasure.retrain:
        # A resumed training would carry the subject's gradients forward.
        shutil.rmtree(run.root / CHECKPOINTS, ignore_errors=True)
    # Last: the raw records are where the subject's ids are found, so a re-run after a crash still finds them above.
    raw = list(_sealed_rows(run, RAW_RECORDS))
    write_sealed_jsonl(vault / RAW_RECORDS, (r for r in raw if r["id"] not in ids))


def _purge_retrieval_index(folder: Path, ids: set[str]) -> None:
    """The compare stage's passage index without the subject's passages (rows and vectors stay aligned)."""
    if not (folder / "index.json").is_file():
        return
    from appliance.baselines.retrieval import PassageIndex

    index = PassageIndex.load(folder)
    keep = [i for i, passage in enumerate(index.passages) if passage.record_id not in ids]
    if len(keep) < len(index.passages):
        PassageIndex([index.passages[i] for i in keep], index.vectors[keep], index.model, index.model_sha256).save(folder)


def _reseal_reidentification(run: RunDir, erased_ids: set[str]) -> None:
    """Re-derive surrogate -> original for the remaining records and seal it again; drop the vault without an officer key."""
    path = _reidentification_path(run)
    if not _officer_key().is_file():
        path.unlink(missing_ok=True)
        return
    from appliance.keys import hash_salt
    from appliance.records import Finding, Record
    from policies.loader import parse_policy
    from scrubbers.reidentification import seal_mapping, surrogate_pairs

    policy = parse_policy((run.root / "policy.yaml").read_text(encoding="utf-8"), origin=str(run.root / "policy.yaml"))
    findings: dict[str, list[Finding]] = defaultdict(list)
    for row in _rows(run.root / FINDINGS):
        if row["record_id"] not in erased_ids:
            findings[row["record_id"]].append(Finding(**{k: v for k, v in row.items() if k != "record_id"}))
    salt = hash_salt()
    mapping: dict[tuple[str, str, str], None] = {}
    for row in _sealed_rows(run, RAW_RECORDS):
        if row["id"] not in erased_ids and row["id"] in findings:
            mapping.update(dict.fromkeys(surrogate_pairs(Record.from_json(row), findings[row["id"]], policy.entities, salt)))
    seal_mapping(path, _officer_key().read_bytes(), mapping)


def _rehash_outputs(run: RunDir) -> None:
    """Every recorded output whose file changed gets its new sha256 and size; stage fingerprints stay, so later stages re-run."""
    manifest = run.manifest
    for stage in manifest.get("stages", {}).values():
        for entry in stage.get("outputs", []):
            path = run.resolve_entry(entry["path"])
            if path.is_file():
                fresh = run.entry(path)
                entry["sha256"], entry["bytes"] = fresh.sha256, fresh.bytes
    _refresh_counts(run, manifest)
    run.save_manifest(manifest)


def _refresh_counts(run: RunDir, manifest: dict[str, Any]) -> None:
    """Counts that describe the purged files are recounted from them, so the manifest matches what is on disk."""
    stages = manifest.get("stages", {})
    if "ingest" in stages:
        raw = sum(1 for _ in _sealed_rows(run, RAW_RECORDS))
        stages["ingest"]["counts"]["records_out"] = raw
        if (run.vault / SIDECAR).is_file():
            stages["ingest"]["summary"]["sidecar_rows"] = sum(1 for _ in _sealed_rows(run, SIDECAR))
    if "scrub" in stages:
        counts = stages["scrub"]["counts"]
        counts["records_out"] = sum(1 for _ in _rows(run.root / SCRUBBED))
        counts["findings"] = sum(1 for _ in _rows(run.root / FINDINGS))


def _withdraw_report(run: RunDir) -> None:
    """The report is bound to the manifest's old contents; it is removed so no stale evidence is mistaken for current."""
    manifest = run.manifest
    record = manifest.get("stages", {}).pop(REPORT_STAGE, None)
    run.save_manifest(manifest)
    for entry in (record or {}).get("outputs", []):
        run.resolve_entry(entry["path"]).unlink(missing_ok=True)


def _record_erasure(run: RunDir, erasure: Erasure, status: str) -> None:
    manifest = run.manifest
    erasures = [e for e in manifest.get("erasures", []) if not (e["subject_hash"] == erasure.subject_hash and e.get("status") == "in progress")]
    erasures.append(erasure.to_manifest(status))
    manifest["erasures"] = erasures
    run.save_manifest(manifest)


def _split(run: RunDir) -> dict[str, Any]:
    path = run.root / SPLIT
    return read_json(path) if path.is_file() else {}


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    return read_jsonl(path) if path.is_file() else iter(())


def _sealed_rows(run: RunDir, name: str) -> Iterator[dict[str, Any]]:
    path = run.vault / name
    return read_sealed_jsonl(path) if path.is_file() else iter(())


def _count(rows: Iterator[dict[str, Any]], match: Callable[[dict[str, Any]], bool]) -> int:
    return sum(1 for row in rows if match(row))


def _reidentification_path(run: RunDir) -> Path:
    from scrubbers.reidentification import VAULT_FILE

    return run.vault / VAULT_FILE


def _officer_key() -> Path:
    from appliance.keys import keys_dir
    from scrubbers.reidentification import PUBLIC_KEY_FILE

    return keys_dir() / PUBLIC_KEY_FILE
