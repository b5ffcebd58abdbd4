"""Right to erasure: remove one data subject's records from a run, and say what must be retrained.

`purge_subject(run_root, subject_id)` removes every record whose `subject_id` (captured before
redaction) is the given id from the sealed raw records, the sealed demographics sidecar, the
scrubbed corpus and its findings, the training split and the per-record evaluation; it rebuilds
the re-identification vault without the subject's surrogates; re-hashes the files it rewrote in
the manifest; records the erasure (the subject as a salted HMAC, never raw; counts; time); and
lists the trained adapters that saw the subject. Their stages keep their old fingerprints, so the
next `appliance run` retrains them from the purged corpus.

Tampering: before anything changes, every file the purge will rewrite must still hash to what
its stage recorded, and manifest.json must carry this installation's valid signature (so a file
changed together with its recorded hash is refused too); a changed run is refused (run `appliance
verify`), and only the files the purge rewrote get new hashes, so a file altered before the purge
is never re-approved.

Crash safety, in two phases. (1) Every file is rewritten, streamed one record at a time, into a
staging folder beside it (`.purge-staged/`), and the staged files' hashes are written to the
manifest's "in progress" erasure. (2) The staged files are renamed over the originals. A purge
killed in phase 1 starts phase 1 again (the originals are untouched); one killed in phase 2
renames what is left, accepting for each file either its recorded hash or its staged one.

Example:
    >>> result = purge_subject(Path("runs/r1"), "C-1042")
    >>> result.removed["raw_records"], result.retrain
    (3, ['train/adapter'])
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.files import read_json, read_jsonl, sha256_file, write_json, write_jsonl
from appliance.keys import erasure_salt
from appliance.rundir import VAULT_PREFIX, RunDir, now
from appliance.vault import read_sealed_jsonl, write_sealed_jsonl

RAW_RECORDS = "raw-records.jsonl.enc"
SIDECAR = "sidecar.jsonl.enc"
SCRUBBED = "scrub/records.jsonl"
FINDINGS = "scrub/findings.jsonl"
SPLIT = "train/split.json"
ADAPTER = "train/adapter"
CHECKPOINTS = "train/checkpoints"
# The base model with the adapter merged in (train --merge): it carries the same weights as the adapter.
MERGED = "train/merged"
PER_RECORD = "evaluate/per_record.jsonl"
ANSWERS = "compare/answers.jsonl"
RETRIEVAL_INDEX = "compare"
# What PassageIndex.save writes into RETRIEVAL_INDEX.
INDEX_FILES = ("index.npy", "index_passages.jsonl", "index.json")
REPORT_STAGE = "report"
REVIEW = "review"  # the blind review pack, its slot key, grades and summary (appliance/review.py)
# Rewritten files wait here, beside their originals (so the rename stays on one file system), until all are ready.
STAGING = ".purge-staged"


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
    # The expert review pack held one of the subject's questions: pack, key, grades and summary are removed.
    review_withdrawn: bool = False
    erased_at: str = ""
    # The files this purge rewrote (manifest entry name -> sha256, bytes, rows), known before any is renamed into place.
    rewritten: dict[str, dict[str, int | str]] = field(default_factory=dict)

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
        return _plan(run, _subject_record_ids(run, subject_id), hashed, dry_run=True)
    with run.lock():
        pending = [e for e in run.manifest.get("erasures", []) if e["subject_hash"] == hashed and e.get("status") == "in progress"]
        # A purge killed half-way is finished with the plan it started from.
        erasure = _resume(pending[-1]) if pending else None
        if erasure is not None and erasure.rewritten:
            # Killed while renaming: each file is either still the original or already its staged rewrite.
            _refuse_tampered(run, [run.resolve_entry(name) for name in erasure.rewritten], erasure.rewritten)
            _refuse_changed_staging(run, erasure.rewritten)
        else:
            # Nothing replaced yet (a fresh purge, or one killed while staging): every original must be as recorded.
            _refuse_tampered(run, _targets(run), {})
            ids = _subject_record_ids(run, subject_id)
            if erasure is None and not ids and (finished := _finished_erasure(run, hashed)):
                return finished
            if erasure is None:
                _refuse_unsigned(run)
                erasure = _plan(run, ids, hashed, dry_run=False)
                _record_erasure(run, erasure, "in progress")
            erasure.rewritten = _stage(run, ids, erasure)
            # The point of no return: from here a re-run renames the staged files instead of staging again.
            _record_erasure(run, erasure, "in progress")
        _replace_originals(run, erasure)
        _rehash_rewritten(run, erasure.rewritten)
        if erasure.report_withdrawn:
            _withdraw_report(run)
        if erasure.review_withdrawn:
            _withdraw_review(run)
        erasure.erased_at = now()
        _record_erasure(run, erasure, "complete")  # signed as it is written, like every manifest write
    return erasure


def _refuse_unsigned(run: RunDir) -> None:
    """A fresh purge starts only from a manifest this installation signed.

    The files are checked against manifest.json, and every manifest write signs it again: an
    edited manifest (a changed file with its new hash written in) would otherwise come out
    signed, as if the appliance had recorded it.
    """
    from appliance.evidence.signing import signed_here

    check = signed_here(run.root)
    if not check.valid:
        problem = check.problem or "signed by another installation's key"
        raise ApplianceError(
            f"manifest.json in {run.root} is not as this installation signed it ({problem}), so the purge changed nothing; "
            f"run `appliance verify {run.root}` to see what changed, and purge a run that verifies"
        )


def _finished_erasure(run: RunDir, hashed: str) -> Erasure | None:
    """A purge killed after recording its completion but before that record's signature took its place: finish, and return that erasure.

    Only when the manifest's last erasure is this subject's, complete, and the signature fails
    until the pending one is put in place; otherwise None (and the subject, with no records left,
    is an error as for any unknown id).
    """
    from appliance.evidence.signing import check_signature, finish_interrupted_signing

    erasures = run.manifest.get("erasures", [])
    if not erasures or erasures[-1]["subject_hash"] != hashed or erasures[-1].get("status") != "complete" or check_signature(run.root).valid:
        return None
    return _resume(erasures[-1]) if finish_interrupted_signing(run.root).valid else None


def _resume(pending: dict[str, Any]) -> Erasure:
    fields = {k: v for k, v in pending.items() if k != "status"}
    return Erasure(**fields, dry_run=False)


def _plan(run: RunDir, ids: set[str], hashed: str, *, dry_run: bool) -> Erasure:
    erasure = Erasure(subject_hash=hashed, dry_run=dry_run)
    if not ids:
        raise ApplianceError(
            f"no records of subject {hashed[:12]} (salted hash) in {run.root}; subject ids match exactly the value of the ingest subject column (e.g. customer_id)"
        )
    removed = erasure.removed
    removed["raw_records"] = len(ids)
    removed["sidecar_rows"] = _count(_sealed_rows(run, SIDECAR), lambda row: row["record_id"] in ids)
    removed["scrubbed_records"] = _count(_rows(run.root / SCRUBBED), lambda row: row["id"] in ids)
    removed["findings"] = _count(_rows(run.root / FINDINGS), lambda row: row["record_id"] in ids)
    removed["evaluated_records"] = _count(_rows(run.root / PER_RECORD), lambda row: row["record_id"] in ids)
    split = _split(run)
    trained_on = sum(1 for i in split.get("train", []) if i in ids)
    removed["split_entries"] = trained_on + sum(1 for i in split.get("validation", []) if i in ids)
    stages = run.manifest.get("stages", {})
    # A recorded train stage without a readable split is assumed to have seen the subject: erasure errs on the safe side.
    if "train" in stages and (trained_on or not split):
        erasure.retrain.append(ADAPTER)
    if (run.root / MERGED).exists() and (trained_on or not split):
        erasure.retrain.append(MERGED)
    if (run.root / CHECKPOINTS).exists() and (trained_on or not split):
        erasure.retrain.append(CHECKPOINTS)
    erasure.stale_stages = [s for s in ("scrub", "audit", "train", "evaluate", "compare", "report") if s in stages]
    erasure.report_withdrawn = REPORT_STAGE in stages
    erasure.review_withdrawn = _review_mentions(run, ids)
    vault_file = _reidentification_path(run)
    erasure.reidentification_vault = "absent" if not vault_file.is_file() else ("rebuilt" if _officer_key().is_file() else "deleted")
    return erasure


def _subject_record_ids(run: RunDir, subject_id: str) -> set[str]:
    """Ids of the subject's records, from the sealed raw records and the scrubbed corpus (one pass over each)."""
    ids = {row["id"] for row in _sealed_rows(run, RAW_RECORDS) if row.get("subject_id") == subject_id}
    ids |= {row["id"] for row in _rows(run.root / SCRUBBED) if row.get("subject_id") == subject_id}
    return ids


def _targets(run: RunDir) -> list[Path]:
    """The files a purge rewrites, as they exist in this run."""
    vault, root = run.vault, run.root
    candidates = [vault / RAW_RECORDS, vault / SIDECAR, root / SCRUBBED, root / FINDINGS, root / PER_RECORD, root / ANSWERS, root / SPLIT]
    candidates += [root / RETRIEVAL_INDEX / name for name in INDEX_FILES]
    return [path for path in candidates if path.is_file()]


def _refuse_tampered(run: RunDir, paths: list[Path], staged: dict[str, dict[str, Any]]) -> None:
    """Each file must hash to what the manifest records for it (or, mid-purge, to its staged rewrite).

    Re-hashing a changed file after the purge would sign it as if the purge had made it.
    """
    recorded = {entry["path"]: entry["sha256"] for stage in run.manifest.get("stages", {}).values() for entry in stage.get("outputs", [])}
    for path in paths:
        name = _entry_name(run, path)
        if name not in recorded or not path.is_file():
            continue  # not a recorded output (nothing to compare with), or already gone
        if sha256_file(path) not in (recorded[name], staged.get(name, {}).get("sha256")):
            raise ApplianceError(
                f"{name} in {run.root} no longer matches the sha256 its stage recorded, so the purge changed nothing; "
                f"run `appliance verify {run.root}` to see what changed, and purge a run that verifies"
            )


def _refuse_changed_staging(run: RunDir, rewritten: dict[str, dict[str, Any]]) -> None:
    """Each staged rewrite not yet renamed must still be what the purge wrote, or it would replace an original unseen."""
    for name, entry in rewritten.items():
        copy = _staged(run.resolve_entry(name))
        if copy.is_file() and sha256_file(copy) != entry["sha256"]:
            raise ApplianceError(
                f"{_entry_name(run, copy)} in {run.root} changed after an interrupted purge wrote it, so the purge changed nothing more; "
                f"run `appliance verify {run.root}`, and restore the run from a backup that verifies"
            )


def _stage(run: RunDir, ids: set[str], erasure: Erasure) -> dict[str, dict[str, int | str]]:
    """Write every rewritten file into its staging folder, one record in memory at a time; returns their hashes and rows."""
    vault, root = run.vault, run.root
    for path in [*_targets(run), _reidentification_path(run)]:
        shutil.rmtree(_staged(path).parent, ignore_errors=True)  # a half-staged earlier attempt is redone from the originals
    rows: dict[Path, int | None] = {}
    not_erased: Callable[[dict[str, Any]], bool] = lambda row: row["record_id"] not in ids  # noqa: E731
    for name, keep in ((RAW_RECORDS, lambda row: row["id"] not in ids), (SIDECAR, not_erased)):
        if (vault / name).is_file():
            rows[vault / name] = write_sealed_jsonl(_staged(vault / name), (row for row in _sealed_rows(run, name) if keep(row)))
    for path, keep in ((root / SCRUBBED, lambda row: row["id"] not in ids), (root / FINDINGS, not_erased), (root / PER_RECORD, not_erased), (root / ANSWERS, not_erased)):
        if path.is_file():
            rows[path] = write_jsonl(_staged(path), (row for row in read_jsonl(path) if keep(row)))
    split_path = root / SPLIT
    if split_path.is_file():
        split = read_json(split_path)
        for side in ("train", "validation"):
            split[side] = [i for i in split.get(side, []) if i not in ids]
        write_json(_staged(split_path), split)
        rows[split_path] = None
    for path in _stage_retrieval_index(root / RETRIEVAL_INDEX, ids):
        rows[path] = None
    if erasure.reidentification_vault == "rebuilt":
        rows[_reidentification_path(run)] = _reseal_reidentification(run, ids)
    staged = {}
    for path, count in rows.items():
        copy = _staged(path)
        staged[_entry_name(run, path)] = {"sha256": sha256_file(copy), "bytes": copy.stat().st_size, **({"rows": count} if count is not None else {})}
    return staged


def _replace_originals(run: RunDir, erasure: Erasure) -> None:
    """Rename each staged file over its original, then delete what has no place after the erasure."""
    for name in erasure.rewritten:
        target = run.resolve_entry(name)
        if _staged(target).is_file():
            os.replace(_staged(target), target)
    if erasure.reidentification_vault == "deleted":
        _reidentification_path(run).unlink(missing_ok=True)
    if CHECKPOINTS in erasure.retrain:
        # A resumed training would carry the subject's gradients forward.
        shutil.rmtree(run.root / CHECKPOINTS, ignore_errors=True)
    for name in erasure.rewritten:
        shutil.rmtree(_staged(run.resolve_entry(name)).parent, ignore_errors=True)


def _staged(path: Path) -> Path:
    return path.parent / STAGING / path.name


def _entry_name(run: RunDir, path: Path) -> str:
    """The manifest's name for a file of the run or its vault (as RunDir.entry names it), without hashing it."""
    path = path.resolve()
    if path.is_relative_to(run.root):
        return path.relative_to(run.root).as_posix()
    if path.is_relative_to(run.vault.resolve()):
        return VAULT_PREFIX + path.relative_to(run.vault.resolve()).as_posix()
    return str(path)


def _stage_retrieval_index(folder: Path, ids: set[str]) -> list[Path]:
    """The compare stage's passage index without the subject's passages (rows and vectors stay aligned), staged.

    Returns the index files that change; none when the index is absent or holds none of the subject's passages.
    """
    if not (folder / "index.json").is_file():
        return []
    from appliance.baselines.retrieval import PassageIndex

    index = PassageIndex.load(folder)
    keep = [i for i, passage in enumerate(index.passages) if passage.record_id not in ids]
    if len(keep) == len(index.passages):
        return []
    PassageIndex([index.passages[i] for i in keep], index.vectors[keep], index.model, index.model_sha256).save(folder / STAGING)
    return [folder / name for name in INDEX_FILES]


def _reseal_reidentification(run: RunDir, erased_ids: set[str]) -> int:
    """Re-derive surrogate -> original for the remaining records and seal it again (staged); returns the pairs sealed."""
    from appliance.keys import hash_salt
    from appliance.records import Finding, Record
    from policies.loader import parse_policy
    from scrubbers.reidentification import sealed_vault, surrogate_pairs

    policy = parse_policy((run.root / "policy.yaml").read_text(encoding="utf-8"), origin=str(run.root / "policy.yaml"))
    findings: dict[str, list[Finding]] = defaultdict(list)
    for row in _rows(run.root / FINDINGS):
        if row["record_id"] not in erased_ids:
            findings[row["record_id"]].append(Finding(**{k: v for k, v in row.items() if k != "record_id"}))
    salt = hash_salt()
    # Sealed under the final file name (the staged copy keeps it), so the renamed file opens as usual;
    # each distinct pair once, found distinct on disk (the scratch is gone before the staged files move).
    with sealed_vault(_staged(_reidentification_path(run)), _officer_key().read_bytes()) as vault:
        for row in _sealed_rows(run, RAW_RECORDS):
            if row["id"] not in erased_ids and row["id"] in findings:
                vault.add_all(surrogate_pairs(Record.from_json(row), findings[row["id"]], policy.entities, salt))
    return vault.count


def _rehash_rewritten(run: RunDir, rewritten: dict[str, dict[str, Any]]) -> None:
    """The files this purge rewrote get their new sha256 and size; nothing else is re-hashed, so an earlier change stays visible.

    Stage fingerprints stay, so the later stages re-run.
    """
    manifest = run.manifest
    for stage in manifest.get("stages", {}).values():
        for entry in stage.get("outputs", []):
            if entry["path"] in rewritten:
                entry["sha256"], entry["bytes"] = rewritten[entry["path"]]["sha256"], rewritten[entry["path"]]["bytes"]
    _refresh_counts(manifest, rewritten)
    run.save_manifest(manifest)


def _refresh_counts(manifest: dict[str, Any], rewritten: dict[str, dict[str, Any]]) -> None:
    """Counts that describe the purged files are the rows written to them, so the manifest matches what is on disk."""
    stages = manifest.get("stages", {})
    rows = {name: entry["rows"] for name, entry in rewritten.items() if "rows" in entry}
    if "ingest" in stages:
        if VAULT_PREFIX + RAW_RECORDS in rows:
            stages["ingest"]["counts"]["records_out"] = rows[VAULT_PREFIX + RAW_RECORDS]
        if VAULT_PREFIX + SIDECAR in rows:
            stages["ingest"]["summary"]["sidecar_rows"] = rows[VAULT_PREFIX + SIDECAR]
    if "scrub" in stages:
        counts = stages["scrub"]["counts"]
        if SCRUBBED in rows:
            counts["records_out"] = rows[SCRUBBED]
        if FINDINGS in rows:
            counts["findings"] = rows[FINDINGS]


def _withdraw_report(run: RunDir) -> None:
    """The report is bound to the manifest's old contents; it is removed so no stale evidence is mistaken for current."""
    manifest = run.manifest
    # The files first: a purge killed in between still finds the record on its re-run and removes what is left.
    for entry in manifest.get("stages", {}).get(REPORT_STAGE, {}).get("outputs", []):
        run.resolve_entry(entry["path"]).unlink(missing_ok=True)
    manifest.get("stages", {}).pop(REPORT_STAGE, None)
    run.save_manifest(manifest)


def _review_mentions(run: RunDir, ids: set[str]) -> bool:
    """Whether the review pack asks about one of `ids` (an unreadable key counts as yes: erasure errs on the safe side)."""
    key = run.root / REVIEW / "key.json"
    if not key.exists():
        return False
    try:
        items = read_json(key)["items"].values()
        return any(item["record_id"] in ids for item in items)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return True


def _withdraw_review(run: RunDir) -> None:
    """The pack shows the subject's (scrubbed) question and answers, the key and grades name the record.

    Rewriting a half-graded blind pack would change what reviewers saw, so the whole review is
    withdrawn; `appliance review export` makes a new one. Files first, as for the report.
    """
    shutil.rmtree(run.root / REVIEW, ignore_errors=True)
    manifest = run.manifest
    if manifest.pop(REVIEW, None) is not None:
        run.save_manifest(manifest)


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
