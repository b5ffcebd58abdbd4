"""Which report section answers which item of EU AI Act Annex IV and which NIST AI RMF function,
the run's limitations and intended use, and what a human must still complete.

The map is a guide for the auditor, not legal advice: "partly" means the report supplies the
evidence but a person must add the judgement or the organisational facts.

Example:
    >>> [row["item"] for row in regulatory_map()["eu_ai_act_annex_iv"]][:2]
    ['1(a)', '1(b)']
"""

from __future__ import annotations

from typing import Any

# (item, requirement, report sections, coverage)
ANNEX_IV = (
    ("1(a)", "Intended purpose, provider, version of the system", ("limitations", "summary"), "partly"),
    ("1(b)", "Interaction with hardware, software and other AI systems", ("environment",), "partly"),
    ("1(c)", "Versions of relevant software and update requirements", ("environment", "training"), "partly"),
    ("1(d)", "Forms in which the system is placed on the market or put into service", (), "human"),
    ("1(e)", "Hardware on which the system is intended to run", ("training", "environment"), "partly"),
    ("1(f)", "Photographs or illustrations of the product (when a component of products)", (), "human"),
    ("1(g)", "Description of the user interface for the deployer", (), "human"),
    ("1(h)", "Instructions for use for the deployer", ("limitations",), "partly"),
    ("2(a)", "Methods and steps of development, incl. pre-trained systems and third-party tools used", ("training", "lineage", "environment"), "answered"),
    ("2(b)", "Design specifications: logic, key choices and their rationale, what is optimised, trade-offs", ("training", "privacy", "summary"), "partly"),
    ("2(c)", "System architecture and computational resources used to develop, train, test and validate", ("training", "compute", "environment"), "answered"),
    ("2(d)", "Data requirements: datasheets, provenance, scope, characteristics, selection, labelling, cleaning", ("lineage", "redaction", "fairness"), "answered"),
    ("2(e)", "Assessment of the human oversight measures needed (Article 14)", (), "human"),
    ("2(f)", "Pre-determined changes to the system and its performance", (), "human"),
    ("2(g)", "Validation and testing: data, metrics (accuracy, robustness, discriminatory impact), dated and signed test logs", ("objectives", "evaluation", "fairness", "summary", "evidence"), "partly"),
    ("2(h)", "Cybersecurity measures", ("privacy", "evidence"), "partly"),
    ("3", "Capabilities and limitations in performance, accuracy for specific groups, foreseeable risks, input data specifications", ("objectives", "evaluation", "fairness", "limitations"), "partly"),
    ("4", "Appropriateness of the performance metrics", ("objectives", "evaluation", "fairness"), "partly"),
    ("5", "Risk management system (Article 9)", ("summary",), "partly"),
    ("6", "Relevant changes made through the lifecycle", ("evidence",), "partly"),
    ("7", "Harmonised standards or other specifications applied", (), "human"),
    ("8", "Copy of the EU declaration of conformity (Article 47)", (), "human"),
    ("9", "Post-market monitoring system and plan (Article 72)", (), "human"),
)

NIST_AI_RMF = (
    ("Govern", "Policies, accountability and risk tolerance", ("summary", "evidence"), "The policy pack (name, sha256, thresholds) encodes the risk tolerance; the signed manifest makes the run accountable.", "Name the accountable owner and approve the policy's thresholds."),
    ("Map", "Context, intended use, data provenance, affected people", ("limitations", "lineage"), "Intended use, out-of-scope uses, data lineage and the datasheet.", "Describe the deployment context and who is affected; assess impacts."),
    ("Measure", "Privacy, fairness, validity and security measured and tracked", ("redaction", "privacy", "fairness", "objectives", "evaluation"), "Redaction counts and residual rate, the DP guarantee, per-group fairness with intervals, held-out loss, objectives judged against their targets.", "Evaluate on the real task with domain experts; red-team the model."),
    ("Manage", "Act on measured risks: release decisions, monitoring, response", ("summary", "evidence"), "Gates fail the run (exit code 3); `appliance verify` and `appliance diff` track integrity and change.", "Decide on release; set up monitoring, incident response and decommissioning."),
)

SECTION_TITLES = {
    "summary": "Summary and gates",
    "objectives": "Objectives",
    "lineage": "Data lineage",
    "redaction": "Redaction",
    "fairness": "Fairness",
    "privacy": "Privacy",
    "training": "Training",
    "evaluation": "Evaluation",
    "compute": "Compute used",
    "limitations": "Limitations and intended use",
    "regulatory": "Regulatory map",
    "environment": "Environment",
    "evidence": "Evidence and artefacts",
}


def regulatory_map() -> dict[str, Any]:
    return {
        "eu_ai_act_annex_iv": [{"item": item, "requirement": text, "sections": list(sections), "coverage": coverage} for item, text, sections, coverage in ANNEX_IV],
        "nist_ai_rmf": [{"function": f, "outcome": outcome, "sections": list(sections), "evidence": evidence, "human": human} for f, outcome, sections, evidence, human in NIST_AI_RMF],
    }


def limitations(report: dict[str, Any]) -> dict[str, list[str]]:
    """Intended use, out-of-scope uses and known limitations, with this run's own numbers."""
    redaction, privacy = report.get("redaction", {}), report.get("privacy", {})
    residual = redaction.get("residual") or {}
    recall = redaction.get("estimated_recall")
    base = (report.get("training", {}).get("base_model") or {}).get("name", "the base model")
    kinds = ", ".join(report.get("inputs", {}).get("records_by_kind", {})) or "text"
    items = [
        f"Redaction is automatic and imperfect: the residual re-scan found {residual.get('findings', 0)} suspected leaks in {residual.get('records_scanned', 0)} records; "
        + (f"estimated recall {recall}." if recall is not None else "recall was not measured on this run, so the share of PII missed is unknown."),
        f"The adapter inherits the limitations and biases of {base}; it was tuned, not retrained.",
        "Held-out loss and perplexity measure how well the model fits this organisation's text, not whether its answers are correct.",
    ]
    if privacy.get("dp"):
        items.append(f"The differential privacy guarantee is per {privacy['dp'].get('privacy_unit', 'record')}: a person in many records is protected less than epsilon suggests.")
    else:
        items.append("No differential privacy: the model may reproduce rare strings from its training data that redaction missed.")
    small = sorted({f"{name}={group}" for part in ("data", "model") for name, result in (report.get("fairness", {}).get(part) or {}).get("attributes", {}).items() for group, entry in result.get("groups", {}).items() if entry.get("too_small")})
    if small:
        items.append(f"Groups too small to judge (listed, not compared): {', '.join(small)}.")
    missing = (report.get("fairness", {}).get("data") or {}).get("missing_attributes") or []
    if missing:
        items.append(f"Sensitive attributes the policy names but the data does not record, so fairness for them is unknown: {', '.join(missing)}.")
    return {
        "intended_use": [
            f"An internal assistant for the organisation that supplied the data, drafting and answering in the style of its {kinds} records.",
            "Every output is reviewed by a person before it reaches a customer or informs a decision.",
        ],
        "out_of_scope": [
            "Automated decisions about individuals (credit, employment, insurance, access to services) without human review.",
            "Customer-facing use without review; use on another organisation's data; attempts to extract information about individuals.",
        ],
        "limitations": items,
    }


def human_tasks(report: dict[str, Any]) -> list[str]:
    """What the report cannot answer: decisions and facts a responsible person must supply and sign."""
    tasks = [
        "Name the provider and the accountable owner; state the intended purpose and deployment context (Annex IV 1(a)).",
        "Classify the system under the AI Act (is it high-risk under Article 6 and Annex III?) and record the reasoning.",
        "Confirm the legal basis for processing the training data (GDPR Article 6) and carry out or update the DPIA (Article 35).",
    ]
    attributes = report.get("inputs", {}).get("sensitive_attributes_found") or []
    if attributes:
        tasks.append(f"Confirm the legal basis for processing special-category or sensitive attributes for the audit ({', '.join(attributes)}), e.g. GDPR Article 9 or AI Act Article 10(5).")
    residual = (report.get("redaction", {}).get("residual") or {}).get("findings") or 0
    if residual:
        tasks.append(f"Review the {residual} suspected leaks located in scrub/residual.json (record ids and offsets only) and decide whether to re-run with a stricter policy.")
    failed = [g["name"] for g in report.get("gates", []) if g["status"] == "fail"]
    if failed:
        tasks.append(f"Failed gates block release: {', '.join(failed)}. Fix and re-run; a waiver needs a documented decision.")
    skipped = [g["name"] for g in report.get("gates", []) if g["status"] == "not_applicable"]
    if skipped:
        tasks.append(f"Decide whether the gates that could not be judged are acceptable: {', '.join(skipped)}.")
    objectives = report.get("objectives") or {}
    if not objectives.get("verdicts"):
        tasks.append("Set the objectives that decide success for this use case (metrics and targets in the run config's objectives block; `appliance init` writes a starter).")
    unmet = [v["metric"] for v in objectives.get("verdicts", []) if v["status"] != "met"]
    if unmet:
        tasks.append(f"Objectives not met or not measured: {', '.join(unmet)}. Decide whether the model is fit for its use case anyway, and record why.")
    if not report.get("privacy", {}).get("dp"):
        tasks.append("Accept in writing that the adapter carries no formal privacy guarantee, or re-train with --dp.")
    tasks += [
        "Evaluate the model on the real task with domain experts; held-out loss is not task quality (Annex IV 3, 4).",
        "Define human oversight measures and instructions for use for the deployers (Article 14, Annex IV 1(h), 2(e)).",
        "Describe the risk management system, post-market monitoring plan, standards applied and the declaration of conformity (Annex IV 5, 7, 8, 9).",
        "Publish this installation's signing key fingerprint through a channel the auditor trusts, then date and sign this report (Annex IV 2(g)).",
    ]
    return tasks
