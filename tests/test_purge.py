"""`appliance purge RUN --subject ID`: the right to erasure on a real ingested and scrubbed run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.evidence import sign_run, verify_run
from appliance.files import read_jsonl, write_bytes, write_json
from appliance.pipeline import open_context, run_stage
from appliance.purge import purge_subject, subject_hash
from appliance.records import Record, StageRecord
from appliance.rundir import RunDir, now
from appliance.split import split_records
from appliance.vault import read_sealed_jsonl

SUBJECT = "C-1001"
# What only the erased subject's records hold: PII, a plain phrase, and a demographic value.
SUBJECT_VALUES = ("Zebediah Quartermaine", "zeb.quartermaine@example.org", "purple walrus mortgage", SUBJECT)


def corpus(folder: Path) -> Path:
    rows = [
        {"customer_id": SUBJECT, "text": "Zebediah Quartermaine asked about the purple walrus mortgage; write to zeb.quartermaine@example.org.", "gender": "male"},
        {"customer_id": SUBJECT, "text": "Second call: Zebediah Quartermaine wants the purple walrus mortgage rate fixed for ten years.", "gender": "male"},
    ]
    rows += [{"customer_id": f"C-2{i:03d}", "text": f"Customer number {i} asked how to raise the overdraft limit on the current account {i} times.", "gender": "female"} for i in range(8)]
    source = folder / "exports" / "calls.jsonl"
    source.parent.mkdir(parents=True)
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return source.parent


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real ingest and scrub (Presidio) of a 10-record corpus, plus a train stage recorded from the real split."""
    base = tmp_path_factory.mktemp("purge-template")
    home, root = base / "home", base / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APPLIANCE_HOME", str(home))
        ctx = open_context(root, policy="banking", sources=(corpus(base),), echo=lambda _: None)
        run_stage("ingest", ctx)
        run_stage("scrub", ctx)
        # Training itself is not under test here: record the split as the train stage would, with a stand-in adapter.
        records = [Record.from_json(r) for r in read_jsonl(root / "scrub" / "records.jsonl")]
        train, held_out = split_records(records, 0.2, seed=0)
        write_json(root / "train" / "split.json", {"train": [r.id for r in train], "validation": [r.id for r in held_out]})
        write_bytes(root / "train" / "adapter" / "adapter_model.safetensors", b"\0" * 64)
        outputs = [ctx.run.entry(root / "train" / "split.json"), ctx.run.entry(root / "train" / "adapter" / "adapter_model.safetensors")]
        ctx.run.record_stage(StageRecord("train", "fp", now(), now(), {}, [], outputs, {"train_records": len(train)}, {}))
        sign_run(ctx.run)
    return home, root


@pytest.fixture
def run_dir(template: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the template run and its home (keys and vault), so each test may purge it."""
    home, root = template
    shutil.copytree(home, tmp_path / "home")
    shutil.copytree(root, tmp_path / "run")
    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path / "home"))
    return tmp_path / "run"


def purge(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["purge", *args])
    return result.exit_code, result.output


def everything_readable(run_dir: Path) -> dict[str, str]:
    """Every file the run wrote, with the sealed vault files decrypted: where the subject must not remain."""
    run = RunDir(run_dir)
    texts = {str(p): p.read_bytes().decode("utf-8", errors="replace") for p in run_dir.rglob("*") if p.is_file()}
    for path in run.vault.iterdir():
        texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
        if path.name.endswith(".jsonl.enc"):
            texts[f"{path} (decrypted)"] = "\n".join(json.dumps(row, ensure_ascii=False) for row in read_sealed_jsonl(path))
    return texts


def test_purge_removes_every_trace_of_the_subject_and_the_run_still_verifies(run_dir: Path) -> None:
    before = everything_readable(run_dir)
    assert any("Zebediah Quartermaine" in text for name, text in before.items() if "decrypted" in name)  # the fixture holds the subject
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    assert "removed      2  raw records (sealed vault)" in output
    assert "removed      2  demographics rows (sealed vault)" in output
    assert "removed      2  scrubbed records" in output
    leaks = [f"{name}: {value}" for name, text in everything_readable(run_dir).items() for value in SUBJECT_VALUES if value in text]
    assert leaks == []
    assert SUBJECT not in output
    verification = verify_run(run_dir)
    assert verification.ok, verification.differences
    stale = [note for note in verification.notes if "trained on a subject erased at" in note]
    assert len(stale) == 1 and stale[0].startswith("train/adapter") and "retrain with `appliance run`" in stale[0]
    scrubbed = list(read_jsonl(run_dir / "scrub" / "records.jsonl"))
    assert len(scrubbed) == 8
    assert RunDir(run_dir).manifest["stages"]["scrub"]["counts"]["records_out"] == 8
    assert RunDir(run_dir).manifest["stages"]["ingest"]["counts"]["records_out"] == 8


def test_the_erasure_is_recorded_as_a_salted_hash_with_counts_and_the_adapter_to_retrain(run_dir: Path) -> None:
    split = json.loads((run_dir / "train" / "split.json").read_text())
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    [erasure] = RunDir(run_dir).manifest["erasures"]
    assert erasure["subject_hash"] == subject_hash(SUBJECT)
    assert erasure["status"] == "complete"
    assert erasure["removed"]["raw_records"] == 2
    assert erasure["removed"]["split_entries"] == 2
    assert erasure["erased_at"]
    after = json.loads((run_dir / "train" / "split.json").read_text())
    assert len(after["train"]) + len(after["validation"]) == len(split["train"]) + len(split["validation"]) - 2
    subject_in_training = erasure["removed"]["split_entries"] > 0 and any(i not in after["train"] for i in split["train"])
    assert subject_in_training
    assert erasure["retrain"] == ["train/adapter"]
    assert "retrain: train/adapter was trained on this subject's records" in output


def test_dry_run_counts_and_changes_nothing(run_dir: Path) -> None:
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    vault = {p: p.read_bytes() for p in RunDir(run_dir).vault.iterdir()}
    code, output = purge(str(run_dir), "--subject", SUBJECT, "--dry-run")
    assert code == 0, output
    assert "(dry run: nothing changed)" in output
    assert "would remove      2  raw records (sealed vault)" in output
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files
    assert {p: p.read_bytes() for p in RunDir(run_dir).vault.iterdir()} == vault


def test_a_subject_purged_twice_is_an_error_the_second_time(run_dir: Path) -> None:
    assert purge(str(run_dir), "--subject", SUBJECT)[0] == 0
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 1
    assert output == f"Error: no records of subject {subject_hash(SUBJECT)[:12]} (salted hash) in {run_dir.resolve()}; subject ids match exactly the value of the ingest subject column (e.g. customer_id)\n"


def test_unknown_subject_and_missing_run_are_one_line_errors(run_dir: Path, tmp_path: Path) -> None:
    code, output = purge(str(run_dir), "--subject", "C-9999")
    assert code == 1
    assert output.startswith("Error: no records of subject ") and output.count("\n") == 1 and "C-9999" not in output
    code, output = purge(str(tmp_path / "nowhere"), "--subject", SUBJECT)
    assert code == 1
    assert output == f"Error: {tmp_path / 'nowhere'} is not a run directory (no manifest.json); create one with `appliance ingest SOURCES --run {tmp_path / 'nowhere'}`\n"


class Crash(BaseException):
    """Stands for SIGKILL: nothing in the purge catches it."""


def fresh_copy(template: tuple[Path, Path], folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(template[0], folder / "home")
    shutil.copytree(template[1], folder / "run")
    monkeypatch.setenv("APPLIANCE_HOME", str(folder / "home"))
    return folder / "run"


def test_a_purge_killed_at_any_write_finishes_when_run_again(template: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed before each rename the purge makes (staged files, manifest, originals, signature), then run again: same end as uninterrupted."""
    real_replace = os.replace
    renames: list[str] = []

    def counting(src: str, dst: str) -> None:
        renames.append(str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting)
    assert purge(str(fresh_copy(template, tmp_path / "whole", monkeypatch)), "--subject", SUBJECT)[0] == 0
    assert len(renames) >= 14  # staged files, in-progress records, renames over the originals, completion, signature
    for point in range(len(renames)):
        run_dir = fresh_copy(template, tmp_path / f"crash-{point}", monkeypatch)
        calls = iter(range(point + 1))

        def crashing(src: str, dst: str) -> None:
            if next(calls) == point:
                raise Crash
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", crashing)
        with pytest.raises(Crash):
            purge_subject(run_dir, SUBJECT)
        monkeypatch.setattr(os, "replace", real_replace)
        code, output = purge(str(run_dir), "--subject", SUBJECT)
        assert code == 0, f"crash at rename {point}: {output}"
        verification = verify_run(run_dir)
        assert verification.ok, (point, verification.differences)
        run = RunDir(run_dir)
        [record] = run.manifest["erasures"]
        assert record["status"] == "complete" and record["removed"]["raw_records"] == 2, point
        assert run.manifest["stages"]["ingest"]["counts"]["records_out"] == 8, point
        assert run.manifest["stages"]["scrub"]["counts"]["records_out"] == 8, point
        assert not [p for p in [*run_dir.rglob("*"), *run.vault.rglob("*")] if ".purge-staged" in p.parts or p.name.endswith(".tmp")], point
        assert not [v for text in everything_readable(run_dir).values() for v in SUBJECT_VALUES if v in text], point


def test_a_file_changed_before_the_purge_is_refused_and_nothing_changes(run_dir: Path) -> None:
    findings = run_dir / "scrub" / "findings.jsonl"
    findings.write_text(findings.read_text() + findings.read_text().splitlines()[0] + "\n")
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    vault = {p: p.read_bytes() for p in RunDir(run_dir).vault.iterdir()}
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 1
    root = run_dir.resolve()
    assert output == (
        f"Error: scrub/findings.jsonl in {root} no longer matches the sha256 its stage recorded, so the purge changed nothing; "
        f"run `appliance verify {root}` to see what changed, and purge a run that verifies\n"
    )
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files
    assert {p: p.read_bytes() for p in RunDir(run_dir).vault.iterdir()} == vault


def test_a_changed_file_the_purge_does_not_rewrite_is_not_re_approved(run_dir: Path) -> None:
    """Only what the purge rewrote gets a new hash: verify still shows a change made before it."""
    residual = run_dir / "scrub" / "residual.json"
    residual.write_text(residual.read_text().replace('"findings"', '"findings_edited"', 1))
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    verification = verify_run(run_dir)
    assert [d.file for d in verification.differences] == ["scrub/residual.json"]


def grow_scrubbed_corpus(run_dir: Path, records: int, text_chars: int) -> int:
    """Other subjects' records appended to the scrubbed corpus, recorded and signed as if scrub had written them."""
    scrubbed = run_dir / "scrub" / "records.jsonl"
    filler = "The customer asked about the branch opening hours and the fee schedule. " * (text_chars // 72)
    with scrubbed.open("a", encoding="utf-8") as handle:
        for i in range(records):
            handle.write(json.dumps({"id": f"filler-{i}", "subject_id": f"F-{i}", "text": filler, "source": "filler.jsonl"}) + "\n")
    run = RunDir(run_dir)
    manifest = run.manifest
    fresh = run.entry(scrubbed)
    for entry in manifest["stages"]["scrub"]["outputs"]:
        if entry["path"] == "scrub/records.jsonl":
            entry["sha256"], entry["bytes"] = fresh.sha256, fresh.bytes
    run.save_manifest(manifest)
    sign_run(run)
    return fresh.bytes


def test_the_purge_streams_records_instead_of_holding_a_file_in_memory(run_dir: Path) -> None:
    import tracemalloc

    size = grow_scrubbed_corpus(run_dir, records=3000, text_chars=4000)
    assert size > 12_000_000
    tracemalloc.start()
    try:
        purge_subject(run_dir, SUBJECT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Holding the corpus as a list of rows costs more than the file's size; streaming costs a record plus read buffers.
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte corpus"
    assert sum(1 for _ in read_jsonl(run_dir / "scrub" / "records.jsonl")) == 3008
    assert verify_run(run_dir).ok


def test_the_sealed_raw_records_are_decrypted_once_to_find_the_subject_and_once_to_rewrite(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import appliance.purge

    opened: list[str] = []

    def counting(path: Path):
        opened.append(path.name)
        return read_sealed_jsonl(path)

    monkeypatch.setattr(appliance.purge, "read_sealed_jsonl", counting)
    purge_subject(run_dir, SUBJECT)
    assert opened.count("raw-records.jsonl.enc") == 2


def test_a_report_of_the_data_before_the_erasure_is_withdrawn(run_dir: Path) -> None:
    run = RunDir(run_dir)
    report = run_dir / "report" / "report.json"
    write_json(report, {"run_id": run.run_id, "verdict": "pass"})
    run.record_stage(StageRecord("report", "fp", now(), now(), {}, [], [run.entry(report)], {"gates": 1}, {"verdict": "pass"}))
    sign_run(run)
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    assert "report: withdrawn (it described the data before the erasure)" in output
    assert not report.exists()
    assert "report" not in run.manifest["stages"]
    assert run.manifest["erasures"][0]["report_withdrawn"] is True
    assert verify_run(run_dir).ok


def test_an_erased_subject_stays_out_when_the_sources_are_ingested_again(run_dir: Path, template: tuple[Path, Path]) -> None:
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    exports = template[1].parent / "exports"
    result = CliRunner().invoke(main, ["ingest", str(exports), "--run", str(run_dir), "--force"])
    assert result.exit_code == 0, result.output
    ingest = RunDir(run_dir).manifest["stages"]["ingest"]
    assert ingest["counts"]["records_out"] == 8
    assert ingest["summary"]["filtered_by_reason"]["erased_subject"] == 2
    leaks = [name for name, text in everything_readable(run_dir).items() if "decrypted" in name and "Zebediah Quartermaine" in text]
    assert leaks == []


def test_the_subjects_passages_leave_the_retrieval_index_and_it_still_loads(run_dir: Path) -> None:
    import numpy as np

    from appliance.baselines.retrieval import Passage, PassageIndex

    run = RunDir(run_dir)
    records = list(read_jsonl(run_dir / "scrub" / "records.jsonl"))
    passages = [Passage(record_id=r["id"], text=r["text"]) for r in records]
    vectors = np.eye(len(passages), dtype=np.float32)
    paths = PassageIndex(passages, vectors, "all-minilm-l6-v2", "0" * 64).save(run_dir / "compare")
    run.record_stage(StageRecord("compare", "fp", now(), now(), {}, [], [run.entry(p) for p in paths], {}, {}))
    sign_run(run)
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    index = PassageIndex.load(run_dir / "compare")  # refuses files whose hashes do not match index.json
    kept = [i for i, r in enumerate(records) if r.get("subject_id") != SUBJECT]
    assert [p.record_id for p in index.passages] == [records[i]["id"] for i in kept] and len(kept) == 8
    assert index.vectors.tolist() == vectors[kept].tolist()
    assert verify_run(run_dir).ok


def test_the_reidentification_vault_is_sealed_again_without_the_subject(run_dir: Path, tmp_path: Path) -> None:
    from appliance.keys import keys_dir
    from scrubbers.reidentification import PUBLIC_KEY_FILE, VAULT_FILE, generate_officer_key, reveal, seal_mapping

    officer = tmp_path / "officer.key"
    generate_officer_key(officer, keys_dir() / PUBLIC_KEY_FILE)
    vault = RunDir(run_dir).vault / VAULT_FILE
    seal_mapping(vault, (keys_dir() / PUBLIC_KEY_FILE).read_bytes(), [("PERSON", "Alex Surrogate", "Zebediah Quartermaine")])
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    assert "re-identification vault: rebuilt" in output
    revealed = json.dumps(list(reveal(vault, officer.read_bytes())))
    assert not [value for value in SUBJECT_VALUES if value in revealed]
    assert not (vault.parent / ".purge-staged").exists()


def foreign_signature(run_dir: Path) -> None:
    """manifest.json signed again, by a key that is not this installation's."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from appliance.evidence.signing import PUBLIC_KEY_FILE, SIGNATURE_FILE, public_key_pem

    key = Ed25519PrivateKey.generate()
    (run_dir / SIGNATURE_FILE).write_bytes(key.sign((run_dir / "manifest.json").read_bytes()))
    (run_dir / PUBLIC_KEY_FILE).write_text(public_key_pem(key.public_key()))


@pytest.mark.parametrize("signature", ["left as it was", "forged with another key"])
def test_a_file_changed_together_with_its_recorded_hash_is_refused(run_dir: Path, signature: str) -> None:
    """Editing the manifest to match a changed file must not get the change signed by the purge."""
    findings = run_dir / "scrub" / "findings.jsonl"
    findings.write_text(findings.read_text() + findings.read_text().splitlines()[0] + "\n")
    run = RunDir(run_dir)
    manifest = run.manifest
    [entry] = [e for e in manifest["stages"]["scrub"]["outputs"] if e["path"] == "scrub/findings.jsonl"]
    fresh = run.entry(findings)
    entry["sha256"], entry["bytes"] = fresh.sha256, fresh.bytes
    write_json(run.manifest_path, manifest)  # by hand, as a forger would
    if signature == "forged with another key":
        foreign_signature(run_dir)
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 1
    root = run_dir.resolve()
    problem = "signed by another installation's key" if signature == "forged with another key" else "signature does not match manifest.json (the manifest changed after signing)"
    assert output == (
        f"Error: manifest.json in {root} is not as this installation signed it ({problem}), so the purge changed nothing; "
        f"run `appliance verify {root}` to see what changed, and purge a run that verifies\n"
    )
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files


def test_a_staged_rewrite_changed_after_a_crash_is_refused(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after staging, before renaming: a staged file changed meanwhile never replaces its original."""
    import appliance.purge

    def crash(*_: object) -> None:
        raise Crash

    with monkeypatch.context() as mp:
        mp.setattr(appliance.purge, "_replace_originals", crash)
        with pytest.raises(Crash):
            purge_subject(run_dir, SUBJECT)
    staged = run_dir / "scrub" / ".purge-staged" / "records.jsonl"
    staged.write_text(staged.read_text() + json.dumps({"id": "planted", "text": "Zebediah Quartermaine"}) + "\n")
    original = (run_dir / "scrub" / "records.jsonl").read_bytes()
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 1
    root = run_dir.resolve()
    assert output == (
        f"Error: scrub/.purge-staged/records.jsonl in {root} changed after an interrupted purge wrote it, so the purge changed nothing more; "
        f"run `appliance verify {root}`, and restore the run from a backup that verifies\n"
    )
    assert (run_dir / "scrub" / "records.jsonl").read_bytes() == original


def test_a_merged_model_trained_on_the_subject_is_listed_for_retraining(run_dir: Path) -> None:
    """train --merge writes the base model with the adapter merged in: it learnt from the subject as much as the adapter did."""
    write_bytes(run_dir / "train" / "merged" / "model.safetensors", b"\0" * 64)
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    [erasure] = RunDir(run_dir).manifest["erasures"]
    assert erasure["retrain"] == ["train/adapter", "train/merged"]
    assert "retrain: train/merged was trained on this subject's records" in output


@pytest.mark.parametrize("killed_at", ["deleting the report", "saving the manifest without it"])
def test_a_purge_killed_while_withdrawing_the_report_withdraws_it_when_run_again(run_dir: Path, monkeypatch: pytest.MonkeyPatch, killed_at: str) -> None:
    run = RunDir(run_dir)
    report = run_dir / "report" / "report.json"
    write_json(report, {"run_id": run.run_id, "verdict": "pass"})
    run.record_stage(StageRecord("report", "fp", now(), now(), {}, [], [run.entry(report)], {"gates": 1}, {"verdict": "pass"}))
    sign_run(run)
    with monkeypatch.context() as mp:
        if killed_at == "deleting the report":
            real_unlink = Path.unlink

            def unlink(path: Path, missing_ok: bool = False) -> None:
                if path == report:
                    raise Crash
                real_unlink(path, missing_ok=missing_ok)

            mp.setattr(Path, "unlink", unlink)
        else:
            real_save = RunDir.save_manifest

            def save_manifest(self: RunDir, manifest: dict) -> None:
                if "report" not in manifest["stages"]:
                    raise Crash
                real_save(self, manifest)

            mp.setattr(RunDir, "save_manifest", save_manifest)
        with pytest.raises(Crash):
            purge_subject(run_dir, SUBJECT)
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    assert not report.exists()
    assert "report" not in run.manifest["stages"]
    assert verify_run(run_dir).ok


def plant_review(run_dir: Path, record_ids: list[str]) -> Path:
    """A review pack as `appliance review export` leaves it: the pack files and the slot key naming each item's record."""
    review = run_dir / "review"
    items = {f"item-{n:03d}": {"record_id": rid, "slots": {"A": "adapter", "B": "reference", "C": "retrieval"}} for n, rid in enumerate(record_ids, 1)}
    write_json(review / "key.json", {"adapter": "adapter", "baseline": "retrieval", "seed": 0, "pack_csv_sha256": "0" * 64, "items": items})
    write_bytes(review / "pack" / "review.csv", b"item_id,question,answer_A,answer_B,answer_C\n")
    return review


def _ids(run_dir: Path) -> tuple[set[str], list[str]]:
    from appliance.purge import _subject_record_ids

    subject = _subject_record_ids(RunDir(run_dir), SUBJECT)
    others = [row["id"] for row in read_jsonl(run_dir / "scrub" / "records.jsonl") if row["id"] not in subject]
    return subject, others


def test_a_review_pack_that_asked_about_the_subject_is_withdrawn(run_dir: Path) -> None:
    subject, others = _ids(run_dir)
    review = plant_review(run_dir, [others[0], sorted(subject)[0]])
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    assert "review: pack, key and grades withdrawn" in output
    assert not review.exists()
    assert RunDir(run_dir).manifest["erasures"][0]["review_withdrawn"] is True
    assert verify_run(run_dir).ok


def test_a_review_pack_about_other_subjects_is_kept(run_dir: Path) -> None:
    _, others = _ids(run_dir)
    review = plant_review(run_dir, others[:2])
    code, output = purge(str(run_dir), "--subject", SUBJECT)
    assert code == 0, output
    assert "review:" not in output
    assert (review / "key.json").exists()
    assert RunDir(run_dir).manifest["erasures"][0]["review_withdrawn"] is False
