"""Stage: the same held-out prompts answered by each adaptation method (prompting, retrieval, adapter).

Not configured (config.evaluate.compare empty) it records that in compare/comparison.json.
Configured, each method answers the first `compare_records` held-out questions greedily; the
answers are scored offline (audits.qa_metrics), checked for PII by the run's scrubber (count
only), scrubbed, and written to compare/answers.jsonl inside the run directory. Retrieval
methods search an exact cosine index of the scrubbed training split, saved as compare/index.*.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from appliance.files import read_json, read_jsonl, write_json, write_jsonl
from appliance.records import FileEntry, Message, Record, Source
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.scrub import SCRUBBED
from appliance.stages.train import ADAPTER, SPLIT

COMPARISON = "compare/comparison.json"
ANSWERS = "compare/answers.jsonl"
# Bump when prompts, generation or scoring change, so earlier comparisons are recomputed.
COMPARE_VERSION = 1
RETRIEVAL_METHODS = ("retrieval", "adapter+retrieval")

if TYPE_CHECKING:  # importing audits loads Fairlearn, torch and Presidio: only where answers are scored
    from audits.qa_metrics import AnswerScore


@dataclass(frozen=True)
class MethodAnswer:
    """One method's scrubbed answer to one held-out question, with its per-answer scores."""

    method: str
    record_id: str
    question: str
    reference: str
    answer: str
    retrieved: tuple[str, ...]
    score: AnswerScore

    def to_json(self) -> dict[str, Any]:
        """One row of compare/answers.jsonl: the scores stand flat beside the texts (review and purge read them so)."""
        row = {name: getattr(self, name) for name in ("method", "record_id", "question", "reference", "answer")}
        return {**row, "retrieved": list(self.retrieved), **asdict(self.score)}


def input_entries(ctx: StageContext) -> list[FileEntry]:
    if not ctx.config.evaluate.compare:
        return []
    trained = ctx.run.stage_record("train")
    recorded = [f for f in trained.outputs if f.path.startswith((ADAPTER + "/", SPLIT))] if trained else []
    return [ctx.run.entry(ctx.run.root / SCRUBBED), *recorded]


def params(ctx: StageContext) -> dict[str, Any]:
    settings = ctx.config.evaluate
    if not settings.compare:
        return {"methods": []}
    from appliance.models import DEFAULT_EMBEDDING_MODEL, REGISTRY

    return {
        "methods": list(settings.compare),
        "compare_records": settings.compare_records,
        "few_shot": settings.few_shot,
        "retrieval_top_k": settings.retrieval_top_k,
        "max_new_tokens": settings.max_new_tokens,
        "max_seq_len": ctx.config.train.max_seq_len,
        "seed": ctx.config.train.seed,
        "base_model": ctx.config.train.base_model,
        "embedding_model": {"name": DEFAULT_EMBEDDING_MODEL, "sha256": REGISTRY[DEFAULT_EMBEDDING_MODEL].source_sha256},
        "version": COMPARE_VERSION,
    }


def execute(ctx: StageContext) -> StageOutput:
    folder = ctx.run.stage_dir("compare")
    path = folder / "comparison.json"
    if not ctx.config.evaluate.compare:
        summary: dict[str, Any] = {"configured": False}
        write_json(path, summary)
        return StageOutput(outputs=[path], counts={}, summary=summary)

    from appliance.baselines.prompting import qa_items

    split = read_json(ctx.run.root / SPLIT)
    by_id = {row["id"]: Record.from_json(row) for row in read_jsonl(ctx.run.root / SCRUBBED)}
    train_records = [by_id[i] for i in split["train"] if i in by_id]
    held_out = qa_items([by_id[i] for i in split["validation"] if i in by_id])[: ctx.config.evaluate.compare_records]
    outputs = []
    retrieve = None
    if any(m in RETRIEVAL_METHODS for m in ctx.config.evaluate.compare):
        retrieve, index_paths = _build_retriever(ctx, train_records, folder)
        outputs += index_paths
    answers = answer_all(ctx, held_out, qa_items(train_records), retrieve)
    answers_path = folder / "answers.jsonl"
    write_jsonl(answers_path, (a.to_json() for a in answers))
    summary = comparison(ctx.config.evaluate.compare, answers)
    summary["held_out_questions"] = len(held_out)
    write_json(path, summary)
    for method in summary["methods"]:
        m = method["metrics"]
        ctx.echo(
            f"  {method['name']:<18} {method['records']} answers: token F1 {m['token_f1']:.3f}, ROUGE-L {m['rouge_l']:.3f}, "
            f"unsupported {m['unsupported_rate']:.3f}, refusals {m['refusal_rate']:.2f}, PII {m['pii_emitted']}, p95 {m['latency_p95_s']:.2f} s"
        )
    return StageOutput(outputs=[path, answers_path, *outputs], counts={"questions": len(held_out), "answers": len(answers)}, summary=summary)


def comparison(methods: Sequence[str], answers: Sequence[MethodAnswer]) -> dict[str, Any]:
    """The contract the report reads: per method its record count and the metrics of audits.qa_metrics."""
    from audits.qa_metrics import DEFINITIONS, score_answers

    rows = []
    for method in methods:
        scores = [a.score for a in answers if a.method == method]
        rows.append({"name": method, "records": len(scores), "metrics": score_answers(scores)})
    return {"configured": True, "methods": rows, "definitions": dict(DEFINITIONS)}


def _build_retriever(ctx: StageContext, train_records: list[Record], folder) -> tuple[Callable[[str], list[str]], list]:
    from appliance.baselines.retrieval import Embedder, build_index, passages_from_records

    embedder = Embedder.from_registry()
    index = build_index(passages_from_records(train_records), embedder)
    paths = index.save(folder)
    k = ctx.config.evaluate.retrieval_top_k
    ctx.echo(f"  retrieval index: {len(index.passages)} passages of the scrubbed training split ({embedder.name})")

    def retrieve(query: str) -> list[str]:
        return [hit.passage.text for hit in index.search(embedder.embed([query]), k)[0]]

    return retrieve, paths


def answer_all(ctx: StageContext, held_out: Sequence, train_pool: Sequence, retrieve: Callable[[str], list[str]] | None) -> list[MethodAnswer]:
    """Every configured method's answer to every held-out question, generated, scored and scrubbed."""
    from appliance.baselines import prompting
    from appliance.baselines.generation import generate_answer
    from appliance.keys import hash_salt
    from appliance.models import resolve_base_model
    from appliance.train.lm import load_tokenizer
    from appliance.train.scoring import load_adapter
    from audits.qa_metrics import score_answer
    from scrubbers.engine import Scrubber

    settings = ctx.config.evaluate
    base = resolve_base_model(ctx.config.train.base_model)
    model = load_adapter(base.path, ctx.run.root / ADAPTER)
    tokenizer = load_tokenizer(ctx.run.root / ADAPTER)
    scrubber = Scrubber(ctx.policy, salt=hash_salt())
    examples = prompting.pick_few_shot(train_pool, settings.few_shot, ctx.config.train.seed)
    # Prompt and answer must fit the model's positions; 2048 prompt tokens bound the CPU cost per answer.
    positions = getattr(model.config, "max_position_embeddings", 2048) or 2048
    max_prompt = max(min(positions - settings.max_new_tokens, 2048), 16)
    passages = {item.record_id: retrieve(item.query) for item in held_out} if retrieve else {}
    answers = []
    for method in settings.compare:
        for item in held_out:
            retrieved = passages.get(item.record_id, []) if method in RETRIEVAL_METHODS else []
            messages = _prompt(method, item, examples, retrieved)
            # The baselines are the base model: the adapter is switched off for them.
            with contextlib.nullcontext() if method.startswith("adapter") else model.disable_adapter():
                generation = generate_answer(model, tokenizer, messages, max_new_tokens=settings.max_new_tokens, max_prompt_tokens=max_prompt)
            support = [m.content for m in messages]
            findings, scrubbed = _scrub(scrubber, generation.text, item.record_id, method)
            score = score_answer(generation.text, item.reference, support, pii_findings=findings, latency_s=generation.latency_s, new_tokens=generation.new_tokens)
            # Stored rounded, and the comparison is computed from what is stored, so the two files agree.
            stored = replace(score, token_f1=round(score.token_f1, 6), rouge_l=round(score.rouge_l, 6), latency_s=round(score.latency_s, 4))
            answers.append(MethodAnswer(method, item.record_id, item.query, item.reference, scrubbed, tuple(retrieved), stored))
    return answers


def _prompt(method: str, item, examples, retrieved: list[str]) -> list[Message]:
    from appliance.baselines import prompting

    if method == "prompt":
        return prompting.few_shot_prompt(item, examples)
    if method == "retrieval":
        return prompting.retrieval_prompt(item, retrieved)
    if method == "adapter":
        return prompting.adapter_prompt(item)
    return prompting.adapter_retrieval_prompt(item, retrieved)


def _scrub(scrubber, answer: str, record_id: str, method: str) -> tuple[int, str]:
    """(PII findings in the raw answer, the answer as stored): generated text is scrubbed like any input."""
    record = Record(id=f"{record_id}:{method}", kind="document", source=Source("compare", "0" * 64), text=answer)
    [outcome] = scrubber.scrub([record])
    if outcome.record is None:
        return len(outcome.findings), f"[answer withheld: {outcome.dropped_reason}]"
    return len(outcome.findings), outcome.record.text or ""
