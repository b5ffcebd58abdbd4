"""Expert review round trip: export a blind pack, fill it as reviewers would, import it; statistics on known values."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from appliance.cli import main
from appliance.evidence.signing import check_signature
from appliance.files import write_jsonl, write_text
from appliance.review import COLUMNS, cohen_kappa, fleiss_kappa, wilson_interval
from appliance.rundir import RunDir
from policies import load_policy
from policies.loader import policy_yaml

QUESTIONS = [f"What is the fee for service {i}?" for i in range(6)]


def compared_run(root: Path) -> Path:
    """A run directory as the compare stage leaves it: policy snapshot and scrubbed answers of three methods."""
    run = RunDir.open(root)
    write_text(run.root / "policy.yaml", policy_yaml(load_policy("default")))
    rows = []
    for i, question in enumerate(QUESTIONS):
        reference = f"The fee for service {i} is {10 + i} euros."
        for method, answer in (("adapter", f"Service {i} costs {10 + i} euros."), ("retrieval", "I don't know."), ("prompt", "It is free.")):
            rows.append({"method": method, "record_id": f"rec{i}", "question": question, "reference": reference, "answer": answer})
    write_jsonl(run.root / "compare" / "answers.jsonl", rows)
    return run.root


def fill(pack_csv: Path, key: dict, reviewer: str, grade_of: dict[str, str], out: Path, *, note: str = "", skip: int = 0) -> Path:
    """Grade every item as `grade_of[method]` says (method -> grade), prefer the adapter, as a reviewer using the form would."""
    rows = list(csv.DictReader(io.StringIO(pack_csv.read_text())))
    for row in rows[skip:]:
        slots = key["items"][row["item_id"]]["slots"]
        for slot, method in slots.items():
            row[f"grade_{slot}"] = grade_of[method] if isinstance(grade_of[method], str) else grade_of[method](row["item_id"])
        row["preferred"] = next(s for s, m in slots.items() if m == key["adapter"])
        row["note"], row["reviewer"] = note, reviewer
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    out.write_text(buffer.getvalue())
    return out


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Path, Path, dict]:
    run_dir = compared_run(tmp_path / "run")
    result = CliRunner().invoke(main, ["review", "export", str(run_dir), "--n", "4", "--out", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "review pack: 4 questions, 3 answers each in random order"
    return run_dir, tmp_path / "pack", json.loads((run_dir / "review" / "key.json").read_text())


def test_export_is_blind_and_self_contained(exported: tuple[Path, Path, dict]) -> None:
    run_dir, pack, key = exported
    rows = list(csv.DictReader(io.StringIO((pack / "review.csv").read_text())))
    assert [r["item_id"] for r in rows] == ["item-001", "item-002", "item-003", "item-004"]
    assert key["adapter"] == "adapter" and key["baseline"] == "retrieval", "retrieval is preferred over the prompt baseline"
    for item in key["items"].values():
        assert sorted(item["slots"].values()) == ["adapter", "reference", "retrieval"]
    assert len({tuple(item["slots"].values()) for item in key["items"].values()}) > 1, "the order differs between items"
    for name in ("review.csv", "review.html"):
        text = (pack / name).read_text()
        assert not re.search(r"\b(adapter|retrieval|reference)\b", text.lower()), f"{name} names a method"
        assert "rec0" not in text and "rec1" not in text
    html = (pack / "review.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external assets"
    assert "default-src 'none'" in html and html.count("<section") == 4
    # The answers under each slot are the ones the key says.
    answers = {json.dumps([r["method"], r["record_id"]]): r for r in map(json.loads, (run_dir / "compare" / "answers.jsonl").read_text().splitlines())}
    for row in rows:
        item = key["items"][row["item_id"]]
        slot = next(s for s, m in item["slots"].items() if m == "adapter")
        assert row[f"answer_{slot}"] == answers[json.dumps(["adapter", item["record_id"]])]["answer"]


def test_round_trip_with_two_then_three_reviewers(exported: tuple[Path, Path, dict], tmp_path: Path) -> None:
    run_dir, pack, key = exported
    runner = CliRunner()
    # Alice: the adapter is right on 3 of 4 items, the reference always, the baseline never; her note holds PII.
    wrong_item = "item-002"
    alice_grades = {"adapter": lambda i: "wrong" if i == wrong_item else "correct", "reference": "correct", "retrieval": "wrong"}
    alice = fill(pack / "review.csv", key, "alice@bank.example", alice_grades, tmp_path / "alice.csv", note="Ask Maria Lopez on 555-123-4567")
    result = runner.invoke(main, ["review", "import", str(run_dir), str(alice)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "review: 4 graded rows imported; 4 items, 1 reviewer(s) in total"
    assert "  adapter            accuracy 0.75 (95% CI 0.30-0.95, 4 graded)" in result.output
    summary = json.loads((run_dir / "review" / "summary.json").read_text())
    assert summary["methods"]["adapter"]["correct"] == 3 and summary["methods"]["adapter"]["wrong"] == 1
    assert summary["methods"]["reference"]["accuracy"] == 1.0 and summary["methods"]["retrieval"]["accuracy"] == 0.0
    assert summary["methods"]["adapter"]["preferred_share"] == 1.0
    assert summary["agreement"]["statistic"] is None
    stored = (run_dir / "review" / "grades.jsonl").read_text()
    assert "Maria Lopez" not in stored and "555-123-4567" not in stored and "alice" not in stored
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["review"]["methods"]["adapter"]["accuracy"] == 0.75
    assert {f["path"] for f in manifest["review"]["files"]} == {"review/key.json", "review/grades.jsonl", "review/summary.json"}
    assert check_signature(run_dir).valid

    # Bob agrees except on the adapter's wrong item: two reviewers, Cohen's kappa over the 12 shared answers.
    bob = fill(pack / "review.csv", key, "bob", {"adapter": "correct", "reference": "correct", "retrieval": "wrong"}, tmp_path / "bob.csv")
    result = runner.invoke(main, ["review", "import", str(run_dir), str(bob)])
    assert result.exit_code == 0, result.output
    agreement = json.loads((run_dir / "review" / "summary.json").read_text())["agreement"]
    # Per answer (4 items x 3 slots, sorted by grade): Alice 7 correct and 5 wrong; Bob calls her wrong adapter answer correct.
    first = ["correct"] * 7 + ["wrong"] * 5
    second = ["correct"] * 7 + ["correct"] + ["wrong"] * 4
    assert agreement == {"statistic": "cohen", "answers": 12, "reviewers": 2, "kappa": round(cohen_kappa_score(first, second), 4)}
    # Re-importing Bob's file replaces his grades instead of counting them twice.
    runner.invoke(main, ["review", "import", str(run_dir), str(bob)])
    assert json.loads((run_dir / "review" / "summary.json").read_text())["grades"] == 8

    carol = fill(pack / "review.csv", key, "carol", {"adapter": "partly", "reference": "correct", "retrieval": "wrong"}, tmp_path / "carol.csv")
    result = runner.invoke(main, ["review", "import", str(run_dir), str(carol)])
    assert result.exit_code == 0, result.output
    summary = json.loads((run_dir / "review" / "summary.json").read_text())
    assert summary["reviewers"] == 3 and summary["agreement"]["statistic"] == "fleiss" and summary["agreement"]["answers"] == 12
    assert "agreement: fleiss kappa" in result.output


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[3].__setitem__("grade_b", "excellent"), "row 3: grade_b must be correct, partly or wrong (or empty); fix that row and import again"),
        (lambda rows: rows[2].__setitem__("preferred", "d"), "row 2: preferred must be a, b, c or none (or empty); fix that row and import again"),
        (lambda rows: rows[4].__setitem__("reviewer", ""), "row 4: reviewer is empty; every graded row needs the reviewer's id"),
        (
            lambda rows: rows[5].__setitem__("item_id", "item-999"),
            "row 5: item_id is not in this run's review pack; export a pack from this run and fill that one",
        ),
    ],
)
def test_malformed_csv_is_a_one_line_error_naming_the_row(exported: tuple[Path, Path, dict], tmp_path: Path, edit, message: str) -> None:
    run_dir, pack, key = exported
    filled = fill(pack / "review.csv", key, "dana", {"adapter": "correct", "reference": "correct", "retrieval": "wrong"}, tmp_path / "filled.csv")
    rows = list(csv.DictReader(io.StringIO(filled.read_text())))
    edit([None, None, *rows])  # index = CSV line number (line 1 is the header, line 2 the first item)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    filled.write_text(buffer.getvalue())
    result = CliRunner().invoke(main, ["review", "import", str(run_dir), str(filled)])
    assert result.exit_code == 1
    assert result.output == f"Error: {filled}: {message}\n"
    assert not (run_dir / "review" / "grades.jsonl").exists(), "nothing is recorded from a malformed file"


def test_missing_column_and_ragged_row(exported: tuple[Path, Path, dict], tmp_path: Path) -> None:
    run_dir, _, _ = exported
    no_grades = tmp_path / "cols.csv"
    no_grades.write_text("item_id,question,note,reviewer\nitem-001,q,,x\n")
    result = CliRunner().invoke(main, ["review", "import", str(run_dir), str(no_grades)])
    assert result.output == f"Error: {no_grades}: missing column(s) grade_a, grade_b, grade_c, preferred; keep the header of the review pack's review.csv\n"
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(COLUMNS) + "\n" + "item-001,q,a,b,c,correct,wrong\n")
    result = CliRunner().invoke(main, ["review", "import", str(run_dir), str(ragged)])
    assert result.exit_code == 1
    assert result.output == f"Error: {ragged}: row 2 has a different number of cells than the header; fix that row and import again\n"


def test_export_needs_compared_answers(tmp_path: Path) -> None:
    RunDir.open(tmp_path / "run")
    result = CliRunner().invoke(main, ["review", "export", str(tmp_path / "run")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {(tmp_path / 'run' / 'compare' / 'answers.jsonl').resolve()} is missing; configure evaluate.compare")


@pytest.mark.parametrize(("successes", "trials", "low", "high"), [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (50, 100, 0.4038, 0.5962), (0, 0, 0.0, 1.0)])
def test_wilson_interval_known_values(successes: int, trials: int, low: float, high: float) -> None:
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=1e-4)


def test_cohen_kappa_matches_scikit_learn() -> None:
    first = ["correct", "wrong", "partly", "correct", "correct", "wrong", "partly", "correct"]
    second = ["correct", "wrong", "correct", "correct", "partly", "wrong", "partly", "wrong"]
    assert cohen_kappa(first, second) == pytest.approx(cohen_kappa_score(first, second))
    assert cohen_kappa(first, first) == 1.0


def test_fleiss_kappa_textbook_example() -> None:
    # Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa 0.210.
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(table) == pytest.approx(0.2099, abs=1e-4)
