"""The compare stage on a real (tiny) run: ingest, scrub, train a LoRA adapter for 2 steps, then every method answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.pipeline import open_context, run_stage

CITIES = ["Lisbon", "Oslo", "Vienna", "Dublin", "Prague", "Madrid", "Athens", "Warsaw", "Helsinki", "Zagreb", "Riga", "Tallinn"]
TOPICS = [
    ("When does the {city} branch open on Saturdays?", "The {city} branch opens at {n} o'clock on Saturdays."),
    ("How many cash machines does the {city} branch have?", "The {city} branch has {n} cash machines in its lobby."),
    ("What is the overdraft fee at the {city} branch?", "Customers of the {city} branch pay an overdraft fee of {n} euros."),
]
METRIC_KEYS = {"exact_match", "token_f1", "rouge_l", "unsupported_rate", "refusal_rate", "pii_emitted", "latency_p50_s", "latency_p95_s", "tokens_per_s"}


def write_faq(folder: Path) -> Path:
    folder.mkdir()
    rows = []
    for i, city in enumerate(CITIES):
        for j, (question, answer) in enumerate(TOPICS):
            n = 3 + i + 7 * j
            turns = [{"role": "user", "content": question.format(city=city)}, {"role": "assistant", "content": answer.format(city=city, n=n)}]
            rows.append({"messages": turns})
    (folder / "faq.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture(scope="module")
def compared_run(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    source = write_faq(tmp_path_factory.mktemp("faq") / "corpus")
    run_dir = tmp_path_factory.mktemp("runs") / "compare"
    overrides = {
        "ingest": {"near_duplicate_threshold": None},
        "train": {"base_model": str(tiny_model_dir), "max_steps": 2, "batch_size": 4, "checkpoint_every": 0},
        "audit": {"membership_inference": False, "counterfactual_probe": False},
        "evaluate": {
            "compare": ("prompt", "retrieval", "adapter", "adapter+retrieval"), "compare_records": 3, "few_shot": 2, "retrieval_top_k": 2, "max_new_tokens": 8,
        },
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APPLIANCE_HOME", str(run_dir.parent / "home"))  # the installation that signs this run
        ctx = open_context(run_dir, policy="default", overrides=overrides, sources=(source,), echo=lambda _: None)
        for stage in ("ingest", "scrub", "audit", "train", "evaluate", "compare"):
            run_stage(stage, ctx)
    return run_dir


def test_every_method_answers_the_same_held_out_questions(compared_run: Path) -> None:
    comparison = json.loads((compared_run / "compare" / "comparison.json").read_text())
    assert comparison["configured"] is True
    assert [m["name"] for m in comparison["methods"]] == ["prompt", "retrieval", "adapter", "adapter+retrieval"]
    assert {m["records"] for m in comparison["methods"]} == {3}
    for method in comparison["methods"]:
        assert set(method["metrics"]) == METRIC_KEYS
        assert 0.0 <= method["metrics"]["token_f1"] <= 1.0 and method["metrics"]["latency_p95_s"] > 0
    assert set(comparison["definitions"]) == METRIC_KEYS
    answers = [json.loads(line) for line in (compared_run / "compare" / "answers.jsonl").read_text().splitlines()]
    by_method: dict[str, list[str]] = {}
    for row in answers:
        by_method.setdefault(row["method"], []).append(row["record_id"])
        assert 0 < row["new_tokens"] <= 8
    assert len({tuple(ids) for ids in by_method.values()}) == 1, "each method answers the same questions in the same order"
    retrieved = [row["retrieved"] for row in answers if row["method"] in ("retrieval", "adapter+retrieval")]
    assert all(len(r) == 2 for r in retrieved)
    assert all(row["retrieved"] == [] for row in answers if row["method"] in ("prompt", "adapter"))


def test_manifest_hashes_the_comparison_the_answers_and_the_index(compared_run: Path) -> None:
    manifest = json.loads((compared_run / "manifest.json").read_text())
    stage = manifest["stages"]["compare"]
    assert {o["path"] for o in stage["outputs"]} == {
        "compare/comparison.json", "compare/answers.jsonl", "compare/index.npy", "compare/index_passages.jsonl", "compare/index.json",
    }
    assert stage["summary"]["configured"] is True and stage["summary"]["outbound_connections_attempted"] == 0
    index = json.loads((compared_run / "compare" / "index.json").read_text())
    assert index["model"] == "all-minilm-l6-v2" and index["dimensions"] == 384
    split = json.loads((compared_run / "train" / "split.json").read_text())
    passages = [json.loads(line)["record_id"] for line in (compared_run / "compare" / "index_passages.jsonl").read_text().splitlines()]
    assert set(passages) <= set(split["train"]) and not set(passages) & set(split["validation"]), "only the training split is retrievable"


def test_rerun_with_unchanged_inputs_is_skipped(compared_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIANCE_HOME", str(compared_run.parent / "home"))  # another installation may not write to it
    result = CliRunner().invoke(main, ["compare", "--run", str(compared_run)])
    assert result.exit_code == 0, result.output
    assert "compare: inputs, parameters and policy unchanged; skipped (use --force to re-run)" in result.output


def test_not_configured_records_that(tmp_path: Path, tiny_model_dir: Path) -> None:
    from appliance.stages import compare

    ctx = open_context(tmp_path / "run", policy="default", overrides={"train": {"base_model": str(tiny_model_dir)}}, echo=lambda _: None)
    output = compare.execute(ctx)
    assert output.summary == {"configured": False}
    assert json.loads((tmp_path / "run" / "compare" / "comparison.json").read_text()) == {"configured": False}


def test_questions_and_references_from_records() -> None:
    from appliance.baselines.prompting import qa_item
    from appliance.records import Message, Record, Source

    source = Source("chats.jsonl", "0" * 64)
    chat = Record(id="c1", kind="chat", source=source, messages=(
        Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello."), Message("user", "Fee?"), Message("assistant", "5 euros."),
    ))
    item = qa_item(chat)
    assert item is not None and item.reference == "5 euros." and item.query == "Fee?"
    assert [m.role for m in item.question] == ["system", "user", "assistant", "user"]
    labelled = qa_item(Record(id="l1", kind="document", source=source, text="Loan for a car, income 40k.", label="approved"))
    assert labelled is not None and labelled.reference == "approved" and "Loan for a car" in labelled.query
    assert qa_item(Record(id="d1", kind="document", source=source, text="Just a document.")) is None
    assert qa_item(Record(id="u1", kind="chat", source=source, messages=(Message("user", "No answer yet"),))) is None


def test_each_method_sends_the_same_question_with_its_own_context() -> None:
    from appliance.baselines import prompting
    from appliance.records import Message

    question = prompting.QAItem("q", (Message("system", "Bank rules."), Message("user", "What is the fee?")), "5 euros")
    examples = [prompting.QAItem(f"e{i}", (Message("user", f"Example question {i}?"),), f"Example answer {i}.") for i in range(5)]
    shots = prompting.pick_few_shot(examples, 2, seed=0)
    assert shots == prompting.pick_few_shot(examples, 2, seed=0) and len(set(shots)) == 2
    few_shot = prompting.few_shot_prompt(question, shots)
    assert [m.role for m in few_shot] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert few_shot[0].content.startswith(prompting.SYSTEM_PROMPT) and "Bank rules." in few_shot[0].content
    rag = prompting.retrieval_prompt(question, ["Fees: 5 euros a month.", "Cards: blocked in the app."])
    assert [m.role for m in rag] == ["system", "user"] and "[1] Fees: 5 euros a month.\n[2] Cards: blocked in the app." in rag[0].content
    assert prompting.adapter_prompt(question) == list(question.question)
    tuned_rag = prompting.adapter_retrieval_prompt(question, ["Fees: 5 euros a month."])
    assert tuned_rag[0].content.startswith("Bank rules.") and prompting.SYSTEM_PROMPT not in tuned_rag[0].content
    assert {m[-1].content for m in (few_shot, rag, tuned_rag)} == {"What is the fee?"}


def test_generated_answers_are_counted_for_pii_then_scrubbed() -> None:
    from appliance.keys import hash_salt
    from appliance.stages.compare import _scrub
    from policies import load_policy
    from scrubbers.engine import Scrubber

    findings, stored = _scrub(Scrubber(load_policy("default"), salt=hash_salt()), "Call Maria Lopez at 555-123-4567 today.", "r1", "adapter")
    assert findings == 2
    assert "Maria Lopez" not in stored and "555-123-4567" not in stored and stored.startswith("Call ")


def test_answer_rows_keep_the_scores_flat_beside_the_texts() -> None:
    """review, purge and auditors read answers.jsonl rows with the scores as top-level keys."""
    from appliance.stages.compare import MethodAnswer, comparison
    from audits.qa_metrics import AnswerScore

    score = AnswerScore(1.0, 0.5, 0.25, claims=2, unsupported=1, refusal=False, pii_findings=3, latency_s=0.75, new_tokens=6)
    answer = MethodAnswer("adapter", "r1", "Fee?", "5 euros.", "5 euros a month.", ("Fees: 5 euros.",), score)
    row = json.loads(json.dumps(answer.to_json()))
    assert row == {
        "method": "adapter", "record_id": "r1", "question": "Fee?", "reference": "5 euros.", "answer": "5 euros a month.",
        "retrieved": ["Fees: 5 euros."], "exact_match": 1.0, "token_f1": 0.5, "rouge_l": 0.25, "claims": 2, "unsupported": 1,
        "refusal": False, "pii_findings": 3, "latency_s": 0.75, "new_tokens": 6,
    }
    [adapter, prompt] = comparison(["adapter", "prompt"], [answer])["methods"]
    assert (adapter["records"], adapter["metrics"]["pii_emitted"], adapter["metrics"]["unsupported_rate"]) == (1, 3, 0.5)
    assert prompt["records"] == 0
