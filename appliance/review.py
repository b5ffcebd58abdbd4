"""Domain-expert review: a blind review pack out of the compare stage's answers, and the experts' grades back in.

export: sampled held-out questions, each with three answers in a random order per item: the
adapter's, the reference, and a baseline's. The pack (review.csv + review.html, self-contained)
carries no method names; the key mapping answer slots to methods stays in RUN/review/.
import: a filled CSV is validated row by row, notes are scrubbed, reviewer ids are hashed, and
the grades (RUN/review/grades.jsonl) and their summary (expert accuracy with a Wilson interval,
inter-reviewer agreement) are recorded in the manifest, which is re-signed.

Example:
    pack = export_review_pack(Path("runs/r1"), n=50)
    result = import_reviews(Path("runs/r1"), Path("filled.csv"))
    result.summary["methods"]["adapter"]["accuracy"]
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.files import read_json, read_jsonl, sha256_file, write_json, write_jsonl, write_text
from appliance.rundir import RunDir

SLOTS = ("a", "b", "c")
GRADES = ("correct", "partly", "wrong")
PREFERRED = (*SLOTS, "none")
COLUMNS = ("item_id", "question", *(f"answer_{s}" for s in SLOTS), *(f"grade_{s}" for s in SLOTS), "preferred", "note", "reviewer")
ANSWERS = "compare/answers.jsonl"
KEY = "review/key.json"
GRADES_FILE = "review/grades.jsonl"
SUMMARY = "review/summary.json"
# Baselines in the order one is chosen for the pack: the strongest non-fine-tuned method first.
BASELINE_PREFERENCE = ("retrieval", "prompt")
ADAPTER_PREFERENCE = ("adapter", "adapter+retrieval")
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class ReviewPack:
    csv_path: Path
    html_path: Path
    key_path: Path
    items: int


@dataclass(frozen=True)
class ReviewImport:
    rows: int
    reviewers: int
    summary: dict[str, Any]


def export_review_pack(run_root: Path, *, n: int = 50, out: Path | None = None, seed: int = 0) -> ReviewPack:
    """Write review.csv and review.html (to `out`, default RUN/review/pack) and the slot key to RUN/review/key.json."""
    run = RunDir.open(run_root, create=False)
    answers_path = run.root / ANSWERS
    if not answers_path.is_file():
        raise ApplianceError(f"{answers_path} is missing; configure evaluate.compare (adapter and a baseline) and run `appliance compare --run {run.root}`")
    answers = list(read_jsonl(answers_path))
    methods = {row["method"] for row in answers}
    adapter = next((m for m in ADAPTER_PREFERENCE if m in methods), None)
    baseline = next((m for m in BASELINE_PREFERENCE if m in methods), None)
    if adapter is None or baseline is None:
        raise ApplianceError(
            f"{answers_path} has answers from {', '.join(sorted(methods)) or 'no method'}; a review needs the adapter and a baseline: "
            "set evaluate.compare to include adapter and retrieval (or prompt) and run `appliance compare --force`"
        )
    by_method = {m: {row["record_id"]: row for row in answers if row["method"] == m} for m in (adapter, baseline)}
    shared = [rid for rid in by_method[adapter] if rid in by_method[baseline]]
    rng = random.Random(seed)
    chosen = rng.sample(shared, min(n, len(shared)))
    scrub = _scrub_texts(run)
    rows, key = [], {}
    for number, record_id in enumerate(chosen, start=1):
        item_id = f"item-{number:03d}"
        own = by_method[adapter][record_id]
        candidates = [(adapter, own["answer"]), ("reference", own["reference"]), (baseline, by_method[baseline][record_id]["answer"])]
        rng.shuffle(candidates)
        key[item_id] = {"record_id": record_id, "slots": {slot: method for slot, (method, _) in zip(SLOTS, candidates, strict=True)}}
        texts = scrub([own["question"], *(text for _, text in candidates)])
        rows.append({"item_id": item_id, "question": texts[0], **{f"answer_{s}": t for s, t in zip(SLOTS, texts[1:], strict=True)}})
    folder = out or run.stage_dir("review") / "pack"
    csv_path, html_path = folder / "review.csv", folder / "review.html"
    write_text(csv_path, _csv_text(rows))
    write_text(html_path, render_form(rows, run_id=run.run_id))
    key_path = run.stage_dir("review") / "key.json"
    write_json(key_path, {"adapter": adapter, "baseline": baseline, "seed": seed, "pack_csv_sha256": sha256_file(csv_path), "items": key})
    return ReviewPack(csv_path, html_path, key_path, len(rows))


def _csv_text(rows: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return buffer.getvalue()


def _scrub_texts(run: RunDir):
    """A function scrubbing texts with the run's own policy snapshot (what leaves the run directory is scrubbed again)."""
    from appliance.keys import hash_salt
    from appliance.records import Record, Source
    from policies.loader import parse_policy
    from scrubbers.engine import Scrubber

    snapshot = run.root / "policy.yaml"
    scrubber = Scrubber(parse_policy(snapshot.read_text(encoding="utf-8"), origin=str(snapshot)), salt=hash_salt())

    def scrub(texts: Sequence[str]) -> list[str]:
        records = [Record(id=str(i), kind="document", source=Source("review", "0" * 64), text=t) for i, t in enumerate(texts)]
        return [(o.record.text or "") if o.record is not None else "[withheld: contains data the policy drops]" for o in scrubber.scrub(records)]

    return scrub


def render_form(rows: Sequence[dict[str, str]], *, run_id: str) -> str:
    """A self-contained HTML form (no external assets, no network): grade each answer, then save the CSV it builds."""
    items = []
    for row in rows:
        item = html.escape(row["item_id"])
        answers = []
        for slot in SLOTS:
            grades = "".join(f'<label><input type="radio" name="{item}:grade_{slot}" value="{g}"> {g}</label> ' for g in GRADES)
            answers.append(f'<div class="answer"><h3>Answer {slot.upper()}</h3><p>{html.escape(row[f"answer_{slot}"])}</p><div>{grades}</div></div>')
        preferred = "".join(f'<label><input type="radio" name="{item}:preferred" value="{p}"> {p if p == "none" else p.upper()}</label> ' for p in PREFERRED)
        items.append(
            f'<section data-item="{item}"><h2>{item}</h2><p class="q">{html.escape(row["question"])}</p>{"".join(answers)}'
            f'<p>Preferred answer: {preferred}</p>'
            f'<p><textarea name="{item}:note" rows="2" cols="80" placeholder="Note (no personal data)"></textarea></p></section>'
        )
    return FORM_TEMPLATE.format(run_id=html.escape(run_id), items="\n".join(items), columns=",".join(COLUMNS), count=len(rows))


FORM_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Expert review, run {run_id}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}section{{border-top:1px solid #999;padding:.5em 0}}
.answer{{background:#f4f4f4;margin:.5em 0;padding:.2em .8em}}.q{{font-weight:bold}}</style></head>
<body><h1>Expert review ({count} questions)</h1>
<p>Each question has three answers in a random order: grade each as correct, partly or wrong, choose the answer you prefer,
and add a note if useful (never personal data). Enter your reviewer id, then press <em>Save CSV</em> and send the file back.</p>
<p><label>Reviewer id: <input id="reviewer" required></label></p>
<form id="review">
{items}
</form>
<p><button type="button" id="save">Save CSV</button></p>
<script>
document.getElementById("save").addEventListener("click", function () {{
  var columns = "{columns}".split(","), rows = [columns.join(",")];
  var reviewer = document.getElementById("reviewer").value;
  function cell(v) {{ return '"' + String(v || "").replace(/"/g, '""') + '"'; }}
  function value(name) {{
    var field = document.querySelector('[name="' + name + '"]:checked') || document.querySelector('textarea[name="' + name + '"]');
    return field ? field.value : "";
  }}
  document.querySelectorAll("section[data-item]").forEach(function (s) {{
    var id = s.dataset.item;
    var filled = ["grade_a", "grade_b", "grade_c", "preferred", "note"].map(function (c) {{ return value(id + ":" + c); }});
    rows.push([id, "", "", "", ""].concat(filled, [reviewer]).map(cell).join(","));
  }});
  var link = document.createElement("a");
  link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(rows.join("\\n") + "\\n");
  link.download = "review-" + (reviewer || "filled") + ".csv";
  link.click();
}});
</script></body></html>
"""


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    """One reviewer's judgement of one item: a grade per method, which method they preferred, a scrubbed note."""

    item_id: str
    record_id: str
    reviewer: str  # sha256 prefix of the reviewer id, never the id itself
    grades: dict[str, str]  # method -> correct | partly | wrong
    preferred: str  # a method, "none", or "" when not given
    note: str


def parse_filled_csv(path: Path, key: dict[str, Any]) -> list[tuple[dict[str, str], int]]:
    """(row, line number) for every graded row; one-line ApplianceError naming the row for anything malformed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ApplianceError(f"{path} cannot be read ({exc.__class__.__name__}); give the CSV saved from the review pack (UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    needed = {"item_id", *(f"grade_{s}" for s in SLOTS), "preferred", "note", "reviewer"}
    missing = sorted(needed - set(reader.fieldnames or ()))
    if missing:
        raise ApplianceError(f"{path}: missing column(s) {', '.join(missing)}; keep the header of the review pack's review.csv")
    rows = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                raise ApplianceError(f"{path}: row {line} has a different number of cells than the header; fix that row and import again")
            row = {k: v.strip() for k, v in row.items()}
            if not any(row[f"grade_{s}"] for s in SLOTS) and not row["preferred"]:
                continue  # an item the reviewer skipped
            _check_row(path, line, row, key)
            rows.append((row, line))
    except csv.Error as exc:
        raise ApplianceError(f"{path}: row {reader.line_num} is not valid CSV ({exc}); fix that row and import again") from None
    if not rows:
        raise ApplianceError(f"{path}: no graded rows; fill grade_a, grade_b, grade_c (correct, partly or wrong) for at least one item")
    return rows


def _check_row(path: Path, line: int, row: dict[str, str], key: dict[str, Any]) -> None:
    if row["item_id"] not in key["items"]:
        raise ApplianceError(f"{path}: row {line}: item_id is not in this run's review pack; export a pack from this run and fill that one")
    for slot in SLOTS:
        if row[f"grade_{slot}"].lower() not in (*GRADES, ""):
            raise ApplianceError(f"{path}: row {line}: grade_{slot} must be correct, partly or wrong (or empty); fix that row and import again")
    if row["preferred"].lower() not in (*PREFERRED, ""):
        raise ApplianceError(f"{path}: row {line}: preferred must be a, b, c or none (or empty); fix that row and import again")
    if not row["reviewer"]:
        raise ApplianceError(f"{path}: row {line}: reviewer is empty; every graded row needs the reviewer's id")


def reviewer_hash(reviewer: str) -> str:
    return hashlib.sha256(reviewer.strip().lower().encode()).hexdigest()[:16]


def import_reviews(run_root: Path, filled: Path) -> ReviewImport:
    """Validate, scrub and record one filled CSV; a reviewer's new grade for an item replaces their earlier one."""
    run = RunDir.open(run_root, create=False)
    key_path = run.root / KEY
    if not key_path.is_file():
        raise ApplianceError(f"{key_path} is missing; export a review pack first with `appliance review export {run.root}`")
    key = read_json(key_path)
    parsed = parse_filled_csv(filled, key)
    scrub = _scrub_texts(run)
    notes = scrub([row["note"] for row, _ in parsed])
    new = []
    for (row, _), note in zip(parsed, notes, strict=True):
        slots = key["items"][row["item_id"]]["slots"]
        preferred = row["preferred"].lower()
        new.append(
            Grade(
                item_id=row["item_id"],
                record_id=key["items"][row["item_id"]]["record_id"],
                reviewer=reviewer_hash(row["reviewer"]),
                grades={slots[s]: row[f"grade_{s}"].lower() for s in SLOTS if row[f"grade_{s}"]},
                preferred=slots.get(preferred, preferred),
                note=note,
            )
        )
    grades_path = run.root / GRADES_FILE
    earlier = [Grade(**row) for row in read_jsonl(grades_path)] if grades_path.is_file() else []
    replaced = {(g.item_id, g.reviewer) for g in new}
    grades = [g for g in earlier if (g.item_id, g.reviewer) not in replaced] + new
    with run.lock():
        write_jsonl(grades_path, (asdict(g) for g in grades))
        summary = review_summary(grades, adapter=key["adapter"], baseline=key["baseline"])
        summary_path = run.root / SUMMARY
        write_json(summary_path, summary)
        files = [asdict(run.entry(p)) for p in (key_path, grades_path, summary_path)]
        run.update_manifest(review={**summary, "files": files})  # signed as it is written
    return ReviewImport(rows=len(new), reviewers=summary["reviewers"], summary=summary)


# --- statistics ---------------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% by default); (0, 1) when there are no trials."""
    from scrubbers.evaluation import wilson_interval as interval

    return interval(successes, trials, z=z)


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float:
    """Cohen's kappa of two raters over the same items: (observed - chance agreement) / (1 - chance agreement)."""
    n = len(first)
    if n == 0:
        return float("nan")
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    chance = sum(counts_a[c] * counts_b[c] for c in set(first) | set(second)) / (n * n)
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa: rows are items, columns categories, cells how many raters chose it (same rater count per item)."""
    items = len(table)
    raters = sum(table[0]) if items else 0
    if items == 0 or raters < 2:
        return float("nan")
    totals = [sum(row[j] for row in table) for j in range(len(table[0]))]
    shares = [t / (items * raters) for t in totals]
    agreement = sum((sum(c * c for c in row) - raters) / (raters * (raters - 1)) for row in table) / items
    chance = sum(p * p for p in shares)
    return 1.0 if chance == 1 else (agreement - chance) / (1 - chance)


def review_summary(grades: Sequence[Grade], *, adapter: str, baseline: str) -> dict[str, Any]:
    """Per method: graded answers, correct/partly/wrong, accuracy (share correct) with a 95% Wilson interval, preference share; agreement."""
    methods: dict[str, Any] = {}
    preferred = [g.preferred for g in grades if g.preferred]
    for method in (adapter, "reference", baseline):
        given = [g.grades[method] for g in grades if method in g.grades]
        counts = Counter(given)
        low, high = wilson_interval(counts["correct"], len(given))
        methods[method] = {
            "graded": len(given),
            **{grade: counts[grade] for grade in GRADES},
            "accuracy": round(counts["correct"] / len(given), 4) if given else None,
            "accuracy_ci95": [round(low, 4), round(high, 4)],
            "preferred_share": round(preferred.count(method) / len(preferred), 4) if preferred else None,
        }
    return {
        "items": len({g.item_id for g in grades}),
        "reviewers": len({g.reviewer for g in grades}),
        "grades": len(grades),
        "adapter": adapter,
        "baseline": baseline,
        "methods": methods,
        "agreement": agreement(grades),
        "definitions": {
            "accuracy": "Share of an answer type's graded answers that experts marked correct (partly counts as not correct).",
            "accuracy_ci95": "95% Wilson score interval of that share.",
            "agreement": "Chance-corrected agreement on grades of answers graded by several reviewers: Cohen's kappa for two, Fleiss' kappa for more.",
        },
    }


def agreement(grades: Sequence[Grade]) -> dict[str, Any]:
    """Kappa over (item, method) answers graded by every reviewer who graded that item, among items with 2+ reviewers."""
    by_answer: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for g in grades:
        for method, grade in g.grades.items():
            by_answer[(g.item_id, method)][g.reviewer] = grade
    shared = {answer: given for answer, given in by_answer.items() if len(given) >= 2}
    if not shared:
        return {"statistic": None, "answers": 0, "reviewers": 0, "kappa": None}
    counts = Counter(len(given) for given in shared.values())
    raters = counts.most_common(1)[0][0]
    # Fleiss' kappa needs the same number of raters per answer: keep the most common count.
    used = {answer: given for answer, given in shared.items() if len(given) == raters}
    reviewers = len({r for given in used.values() for r in given})
    # Cohen's kappa compares two fixed raters; when the pairs vary across answers, Fleiss' kappa applies.
    if raters == 2 and reviewers == 2:
        pairs = [sorted(given.items()) for given in used.values()]
        kappa = cohen_kappa([p[0][1] for p in pairs], [p[1][1] for p in pairs])
        statistic = "cohen"
    else:
        kappa = fleiss_kappa([[list(given.values()).count(c) for c in GRADES] for given in used.values()])
        statistic = "fleiss"
    return {"statistic": statistic, "answers": len(used), "reviewers": reviewers, "kappa": None if math.isnan(kappa) else round(kappa, 4)}
