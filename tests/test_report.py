"""The report stage on a fabricated run: report.json against its schema, the HTML, the PDF, the model card, the datasheet."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from test_report_fixture import complete_run

from appliance.pipeline import run_stage
from appliance.stages.report import DATASHEET, MODEL_CARD, REPORT_HTML, REPORT_JSON, REPORT_PDF
from audits.report import SCHEMA, validate_report

REPORT_KEYS = {"run_id", "appliance_version", "policy", "inputs", "redaction", "fairness", "training", "evaluation", "privacy", "gates", "artifacts"}
SECTIONS = ("summary", "lineage", "redaction", "fairness", "privacy", "training", "evaluation", "limitations", "regulatory", "environment", "evidence")


@pytest.fixture
def signed_run(tmp_path: Path) -> Path:
    """A fabricated run as the pipeline leaves it: report recorded, manifest signed."""
    return complete_run(tmp_path / "run").run.root

def load(run: Path) -> dict:
    return json.loads((run / REPORT_JSON).read_text())


def test_report_json_follows_the_published_schema(signed_run: Path) -> None:
    report = load(signed_run)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validate_report(report)
    assert REPORT_KEYS <= set(report)
    broken = {**report, "gates": [{**report["gates"][0], "status": "maybe"}]}
    with pytest.raises(jsonschema.ValidationError):
        validate_report(broken)


def test_report_says_what_the_manifest_says(signed_run: Path) -> None:
    report = load(signed_run)
    manifest = json.loads((signed_run / "manifest.json").read_text())
    assert report["run_id"] == manifest["run_id"]
    assert report["verdict"] == "fail"
    assert {g["name"] for g in report["gates"] if g["status"] == "fail"} == {"fairness.demographic_parity.gender", "fairness.demographic_parity.ethnicity"}
    assert report["privacy"]["dp"]["epsilon"] == manifest["stages"]["train"]["summary"]["dp"]["epsilon"]
    assert "epsilon = 2.08" in report["privacy"]["statement"] and "delta = 1.0e-05" in report["privacy"]["statement"]
    assert [a["path"] for a in report["artifacts"]] == sorted({f["path"] for name, s in manifest["stages"].items() if name != "report" for f in s["outputs"]})
    assert report["evidence"]["signing_key"]["fingerprint"].startswith("SHA256:")
    assert report["redaction"]["estimated_recall"] is None
    assert len(report["regulatory"]["eu_ai_act_annex_iv"]) == 23
    assert [row["function"] for row in report["regulatory"]["nist_ai_rmf"]] == ["Govern", "Map", "Measure", "Manage"]
    assert any("Failed gates block release" in task for task in report["regulatory"]["human_must_complete"])


def test_report_stage_records_every_rendering_and_is_skipped_when_unchanged(tmp_path: Path) -> None:
    ctx = complete_run(tmp_path / "run")
    record = ctx.run.stage_record("report")
    assert sorted(o.path for o in record.outputs) == sorted([REPORT_JSON, REPORT_HTML, REPORT_PDF, DATASHEET, MODEL_CARD])
    assert record.summary["failed_gates"] == ["fairness.demographic_parity.gender", "fairness.demographic_parity.ethnicity"]
    assert run_stage("report", ctx).skipped


def test_html_is_self_contained_and_has_every_section(signed_run: Path) -> None:
    html = (signed_run / REPORT_HTML).read_text()
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external assets"
    assert "<link" not in html and "@import" not in html
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
        assert f'href="#{section}"' in html, f"table of contents links to {section}"
    assert html.count("<svg") >= 10, "loss, epsilon, evaluation and per-attribute fairness charts"
    summary = html.split('<section id="summary">')[1].split("</section>")[0]
    for gate in load(signed_run)["gates"]:
        assert gate["name"] in summary
    assert summary.count('class="badge fail"') == 2


def test_fairness_is_rendered_as_tables_per_attribute_and_group(signed_run: Path) -> None:
    html = (signed_run / REPORT_HTML).read_text()
    fairness = html.split('<section id="fairness">')[1].split("</section>")[0]
    for attribute in ("gender", "age_band", "ethnicity"):
        assert f"Training data by {attribute}</h4>" in fairness
        assert f"Model on held-out data by {attribute}</h4>" in fairness
    assert "<th scope=\"col\">Base loss</th><th scope=\"col\">Adapter loss</th>" in fairness
    assert "<td>nonbinary</td>" in fairness and "<td>too small</td>" in fairness
    assert re.search(r"\(95% CI [0-9.]+ to [0-9.]+\)", fairness)
    assert 'aria-label="held-out loss (nats per token)"' in fairness


def pdf_text(data: bytes) -> str:
    """The strings of every text operator: the streams are uncompressed, so no PDF library is needed."""
    return "\n".join(re.findall(r"\((.*?)\)\s*Tj", data.decode("latin-1")))


def test_pdf_holds_the_same_sections(signed_run: Path) -> None:
    data = (signed_run / REPORT_PDF).read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    for title in ("Summary and gates", "Data lineage", "Redaction", "Fairness", "Privacy", "Regulatory map", "Evidence and artefacts"):
        assert title in text
    assert "FAIL: gates failed" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed (apt-get install -y poppler-utils)")
def test_pdftotext_reads_the_pdf(signed_run: Path) -> None:
    text = subprocess.run(["pdftotext", "-layout", str(signed_run / REPORT_PDF), "-"], capture_output=True, text=True, check=True).stdout
    report = load(signed_run)
    assert f"Compliance report: run {report['run_id']}" in text
    assert "fairness.demographic_parity.gender" in text
    assert "epsilon = 2.08" in text
    assert report["evidence"]["signing_key"]["fingerprint"] in text.replace("\n", "")


def test_model_card_and_datasheet(signed_run: Path) -> None:
    card = (signed_run / MODEL_CARD).read_text()
    for heading in ("## Model details", "## Intended use", "## Factors", "## Metrics", "## Evaluation data", "## Training data", "## Quantitative analyses (disaggregated)", "## Ethical considerations", "## Caveats and recommendations"):
        assert heading in card
    assert "| nonbinary |" in card and "sha256 `" in card
    sheet = (signed_run / DATASHEET).read_text()
    for heading in ("## Motivation", "## Composition", "## Collection process", "## Preprocessing, cleaning, labelling", "## Uses", "## Distribution", "## Maintenance"):
        assert heading in sheet


def test_no_record_text_enters_any_report_file(signed_run: Path) -> None:
    """The fabricated corpus says 'Customer <PERSON> asked about account ****0001'; none of it may leak into a report."""
    for name in (REPORT_JSON, REPORT_HTML, DATASHEET, MODEL_CARD):
        text = (signed_run / name).read_text()
        assert "asked about account" not in text and "****0001" not in text, name
    pdf = (signed_run / REPORT_PDF).read_bytes()
    assert b"Summary and gates" in pdf, "streams are uncompressed, so this byte scan means something"
    assert b"asked about account" not in pdf


def test_report_without_dp_says_there_is_no_guarantee(tmp_path: Path) -> None:
    ctx = complete_run(tmp_path / "run", dp=False)
    report = load(ctx.run.root)
    assert report["privacy"]["dp"] is None
    assert report["privacy"]["statement"].startswith("No formal privacy guarantee")
    assert any(g["name"] == "privacy.dp_required" and g["status"] == "fail" for g in report["gates"])
    html = (ctx.run.root / REPORT_HTML).read_text()
    assert 'class="warning">No formal privacy guarantee' in html
