"""Starter run configs for `appliance init`: a commented YAML file per use case, with objectives.

The text is built here rather than dumped by PyYAML so every setting carries a comment saying what it
does; before anything is written the text is parsed with the same validator `appliance run --config`
uses, so a starter config always loads.

Example:
    >>> text = starter_config(StarterAnswers(use_case="classification", description="Route loan applications", department="Credit"))
    >>> load_config(write_starter(Path("run.yaml"), text)).task
    'classification'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from appliance.config import TrainConfig, parse_config
from appliance.errors import ApplianceError
from appliance.files import write_text
from appliance.objectives import METRICS


@dataclass(frozen=True)
class UseCase:
    title: str
    task: str
    # Why this task type, in one comment line.
    task_note: str
    # (metric, target): sensible first targets the business should revise.
    objectives: tuple[tuple[str, float], ...]
    compare: tuple[str, ...] = ()
    # Extra `train:` settings as (key, YAML value, comment).
    train: tuple[tuple[str, str, str], ...] = ()
    # `ingest:` settings as (key, YAML value, comment).
    ingest: tuple[tuple[str, str, str], ...] = ()


USE_CASES: dict[str, UseCase] = {
    "support-assistant": UseCase(
        title="Customer support assistant",
        task="instruction",
        task_note="conversations: the model learns the assistant turns (loss on assistant tokens only)",
        objectives=(("token_f1", 0.5), ("hallucination_rate", 0.05), ("refusal_rate", 0.2), ("pii_emitted", 0), ("p95_latency_s", 2.0)),
        compare=("prompt", "retrieval", "adapter"),
        train=(("assistant_turns", "all", "all: every assistant turn is trained; last: only the final one (earlier turns become context)"),),
    ),
    "document-qa": UseCase(
        title="Question answering over the organisation's documents",
        task="instruction",
        task_note="question/answer pairs: the model learns the answers",
        objectives=(("token_f1", 0.6), ("rouge_l", 0.5), ("hallucination_rate", 0.05), ("pii_emitted", 0), ("p95_latency_s", 3.0)),
        compare=("prompt", "retrieval", "adapter", "adapter+retrieval"),
    ),
    "classification": UseCase(
        title="Classification of records into fixed labels",
        task="classification",
        task_note="text plus a label column; the label is trained as the answer and scored as accuracy, macro F1 and per-class precision/recall",
        objectives=(("accuracy", 0.9), ("macro_f1", 0.85)),
        ingest=(
            ("text_column", "text", "the CSV column holding the text to classify"),
            ("label_column", "label", "the CSV column holding the label (the answer the model learns)"),
        ),
    ),
    "domain-adaptation": UseCase(
        title="Domain adaptation on the organisation's own text",
        task="completion",
        task_note="raw text, packed into full sequences: the model learns the domain's language",
        objectives=(("perplexity", 20.0),),
        train=(("packing", "true", "pack several examples per row without DP (positions restart per example, no cross-example attention)"),),
    ),
}


@dataclass(frozen=True)
class StarterAnswers:
    use_case: str
    description: str = ""
    department: str = ""
    dp: bool = True
    base_model: str = TrainConfig().base_model
    # Overrides of the use case's default targets: metric -> target.
    targets: dict[str, float] = field(default_factory=dict)


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML scalar: quotes, colons and '#' in the user's words stay data.
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def starter_config(answers: StarterAnswers) -> str:
    """The commented YAML text of a starter run config for `answers.use_case`."""
    if answers.use_case not in USE_CASES:
        raise ApplianceError(f"unknown use case '{answers.use_case}'; choose one of: {', '.join(USE_CASES)}")
    case = USE_CASES[answers.use_case]
    unknown = sorted(set(answers.targets) - {metric for metric, _ in case.objectives})
    if unknown:
        raise ApplianceError(f"no objective named {', '.join(unknown)} in the {answers.use_case} starter; edit the written file to add objectives")
    lines = [
        f"# appliance run config: {case.title} ({answers.use_case}).",
        "# Written by `appliance init`; edit freely, then: appliance run SOURCES --config THIS_FILE --out runs/r1",
        "# Precedence: command-line flags > this file > policy defaults > built-in defaults.",
        "",
        f"# {case.task_note}",
        f"task: {case.task}",
        "",
        "# What success means, decided before training. The report judges each objective as met, missed or",
        "# not measured, next to the policy's compliance gates. Revise the targets with the people who own the use case.",
        "objectives:",
        f"  use_case: {_quoted(answers.description or case.title)}",
        f"  department: {_quoted(answers.department)}",
        "  # true: a missed (or unmeasured) objective fails the run like a compliance gate (exit code 3).",
        "  enforce: false",
        "  metrics:",
    ]
    for metric, target in case.objectives:
        spec = METRICS[metric]
        lines.append(f"    # {spec.meaning}; {'higher' if spec.higher_is_better else 'lower'} is better. Measured by {spec.source}.")
        lines.append(f'    - {{metric: {metric}, op: "{spec.op}", target: {_number(answers.targets.get(metric, target))}}}')
    if case.ingest:
        lines += ["", "ingest:"]
        lines += [line for key, value, note in case.ingest for line in (f"  # {note}", f"  {key}: {value}")]
    lines += [
        "",
        "train:",
        "  # A model name from the offline registry (`appliance models list`).",
        f"  base_model: {answers.base_model}",
        "  # lora (default); full fine-tuning for small models; prefix or ia3 for lighter adapters.",
        "  method: lora",
        "  max_steps: 200",
        "  lora_r: 8",
        "  lora_alpha: 16",
        "  # Differentially private SGD: a formal per-record guarantee; the policy may require it.",
        f"  dp: {'true' if answers.dp else 'false'}",
        "  target_epsilon: 8.0",
        "  # Validation loss every N steps, stop after 3 evaluations without improvement.",
        "  eval_every: 20",
        "  early_stopping_patience: 3",
    ]
    lines += [line for key, value, note in case.train for line in (f"  # {note}", f"  {key}: {value}")]
    lines += [
        "",
        "evaluate:",
        "  # Held-out records scored for loss, perplexity and (with labels) accuracy and macro F1.",
        "  max_records: 200",
        "  # Longest generated answer, in tokens (generation sample and compare stage).",
        "  max_new_tokens: 64",
    ]
    if case.compare:
        lines += [
            "  # The same held-out questions answered by each method, so the report shows whether fine-tuning",
            "  # earned its cost: prompt (few-shot), retrieval (RAG over the scrubbed corpus), adapter, adapter+retrieval.",
            f"  compare: [{', '.join(json.dumps(method) for method in case.compare)}]",
            "  compare_records: 32",
            "  few_shot: 3",
            "  retrieval_top_k: 3",
        ]
    else:
        lines += ["  # No method comparison: it needs question/answer data (support-assistant, document-qa).", "  compare: []"]
    return "\n".join(lines) + "\n"


def write_starter(path: Path, text: str, *, force: bool = False) -> Path:
    """Validate the config text as a run config, then write it atomically; refuses to overwrite without `force`."""
    if path.exists() and not force:
        raise ApplianceError(f"{path} already exists; choose another path or pass --force to overwrite it")
    if path.is_dir():
        raise ApplianceError(f"{path} is a directory; give a file path such as {path / 'run.yaml'}")
    parse_config(yaml.safe_load(text), str(path))  # a starter that does not load is a bug: fail before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)
    return path
