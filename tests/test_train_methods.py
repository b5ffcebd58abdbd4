"""What is trained: LoRA, full fine-tuning, prefix tuning, IA3; merging; gradient checkpointing; refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.train.lm import load_causal_lm, load_tokenizer
from appliance.train.loop import train_lora
from appliance.train.methods import FULL_FINETUNE_MAX_PARAMETERS, check_full_size
from appliance.train.scoring import load_adapter, token_losses

SOURCE = Source(path="chats.jsonl", sha256="4" * 64)
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"What is {i} plus one?"), Message("assistant", f"It is {i + 1}.")))
    for i in range(12)
]
CONFIG = TrainConfig(max_steps=4, batch_size=4, learning_rate=1e-2, warmup_steps=0, max_seq_len=48, checkpoint_every=0)
CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def base_losses(tiny_model_dir: Path) -> list[tuple[float, int]]:
    return token_losses(load_causal_lm(tiny_model_dir, CPU), load_tokenizer(tiny_model_dir), RECORDS[:4], max_len=48)


@pytest.mark.parametrize(
    ("method", "saved", "trainable"),
    [
        ("full", "model.safetensors", 3_219_776),  # every weight of the tiny model (embeddings tied)
        ("prefix", "adapter_model.safetensors", 16 * 2 * 2 * 32),  # 16 virtual tokens x layers x (key, value) x kv width
        ("ia3", "adapter_model.safetensors", 2 * (32 + 32 + 128)),  # per layer: k and v outputs, down_proj input
    ],
)
def test_each_method_trains_and_its_output_scores(method, saved, trainable, tiny_model_dir: Path, tmp_path: Path, base_losses) -> None:
    result = train_lora(tiny_model_dir, RECORDS, CONFIG.model_copy(update={"method": method}), tmp_path / "adapter")

    assert result.steps == 4 and result.details["method"] == method
    assert result.trainable_parameters == trainable
    assert (result.adapter_dir / saved).is_file() and (result.adapter_dir / "tokenizer.json").is_file()
    model = load_adapter(tiny_model_dir, result.adapter_dir, CPU)
    tuned = token_losses(model, load_tokenizer(tiny_model_dir), RECORDS[:4], max_len=48)
    assert [n for _, n in tuned] == [n for _, n in base_losses]
    assert [loss for loss, _ in tuned] != pytest.approx([loss for loss, _ in base_losses], rel=1e-4)
    # Every method offers the base model through the same switch, for the base-vs-tuned comparisons.
    with model.disable_adapter():
        base = token_losses(model, load_tokenizer(tiny_model_dir), RECORDS[:4], max_len=48)
    assert [loss for loss, _ in base] == pytest.approx([loss for loss, _ in base_losses], rel=1e-4)


def test_merge_writes_a_plain_model_that_answers_like_the_adapter(tiny_model_dir: Path, tmp_path: Path) -> None:
    result = train_lora(tiny_model_dir, RECORDS, CONFIG.model_copy(update={"merge": True}), tmp_path / "adapter", merged_dir=tmp_path / "merged")

    names = {p.name for p in (tmp_path / "merged").iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= names and "adapter_config.json" not in names
    tokenizer = load_tokenizer(tiny_model_dir)
    merged = token_losses(load_causal_lm(tmp_path / "merged", CPU), tokenizer, RECORDS[:4], max_len=48)
    adapter = token_losses(load_adapter(tiny_model_dir, result.adapter_dir, CPU), tokenizer, RECORDS[:4], max_len=48)
    assert [loss for loss, _ in merged] == pytest.approx([loss for loss, _ in adapter], rel=1e-4)


def test_gradient_checkpointing_trains_the_same_on_cpu(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"max_steps": 2})
    plain = train_lora(tiny_model_dir, RECORDS, config, tmp_path / "plain")
    checkpointed = train_lora(tiny_model_dir, RECORDS, config.model_copy(update={"gradient_checkpointing": True}), tmp_path / "gc")
    assert checkpointed.details["gradient_checkpointing"] is True
    assert [e["loss"] for e in checkpointed.history] == pytest.approx([e["loss"] for e in plain.history], rel=1e-5)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"dp": True, "method": "full"}, "DP training supports method lora only \\(not full\\)"),
        ({"dp": True, "method": "ia3"}, "DP training supports method lora only \\(not ia3\\)"),
        ({"dp": True, "gradient_checkpointing": True}, "gradient checkpointing cannot run under DP"),
        ({"method": "prefix", "merge": True}, "prefix tuning .* cannot be merged"),
        ({"load_in_4bit": True}, "load_in_4bit needs a CUDA GPU and bitsandbytes; this machine has no CUDA device"),
    ],
)
def test_combinations_that_cannot_work_are_refused_before_loading(update, message, tiny_model_dir: Path, tmp_path: Path) -> None:
    if update.get("load_in_4bit") and torch.cuda.is_available():
        pytest.skip("a CUDA machine may load 4-bit weights")
    with pytest.raises(ApplianceError, match=message):
        train_lora(tiny_model_dir, RECORDS, CONFIG.model_copy(update=update), tmp_path / "adapter", delta=1e-3)


def test_full_fine_tuning_is_refused_above_the_documented_size() -> None:
    check_full_size(FULL_FINETUNE_MAX_PARAMETERS)
    with pytest.raises(ApplianceError, match="full fine-tuning is limited to 500M parameters \\(this model has 7000M\\); use --method lora"):
        check_full_size(7_000_000_000)
