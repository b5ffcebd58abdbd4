"""Training precision: bf16 base with float32 trained weights, autocast for full fine-tuning, refusals.

These run on whatever device train_lora picks: the CPU here (bf16 asked for explicitly), the GPU
where there is one (where "auto" means bf16).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.train.loop import train_lora
from appliance.train.precision import resolve_precision

SOURCE = Source(path="chats.jsonl", sha256="5" * 64)
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"What is {i} plus two?"), Message("assistant", f"It is {i + 2}.")))
    for i in range(16)
]
CONFIG = TrainConfig(max_steps=3, batch_size=4, learning_rate=1e-2, warmup_steps=0, max_seq_len=48, checkpoint_every=0)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_auto_is_float32_on_cpu_and_bf16_keeps_trained_weights_float32() -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("auto", device=cpu, method="lora", load_in_4bit=False).base_dtype == torch.float32
    lora = resolve_precision("bf16", device=cpu, method="lora", load_in_4bit=False)
    assert (lora.base_dtype, lora.autocast) == (torch.bfloat16, None)
    # Full fine-tuning trains every weight: they stay float32, the forward pass runs under autocast.
    full = resolve_precision("bf16", device=cpu, method="full", load_in_4bit=False)
    assert (full.base_dtype, full.autocast) == (torch.float32, torch.bfloat16)
    with pytest.raises(ApplianceError, match="4-bit base computes in bfloat16"):
        resolve_precision("fp32", device=cpu, method="lora", load_in_4bit=True)


@pytest.fixture(scope="module")
def float32_lora(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    return train_lora(tiny_model_dir, RECORDS, CONFIG.model_copy(update={"precision": "fp32"}), tmp_path_factory.mktemp("fp32") / "adapter")


def test_bf16_lora_trains_a_float32_adapter_with_the_same_losses_to_bf16_rounding(tiny_model_dir: Path, tmp_path: Path, float32_lora) -> None:
    result = train_lora(tiny_model_dir, RECORDS, CONFIG.model_copy(update={"precision": "bf16"}), tmp_path / "adapter")

    assert result.details["precision"] == "bf16" and result.details["packing"]  # packed rows passed the isolation check
    assert result.details["precision_detail"] == "bfloat16 base weights, float32 trainable weights"
    adapter = load_file(result.adapter_dir / "adapter_model.safetensors")
    assert adapter and all(tensor.dtype == torch.float32 for tensor in adapter.values())
    # Same data and seed: the first loss differs from float32's only by bf16 rounding of the base.
    assert result.first_loss == pytest.approx(float32_lora.first_loss, rel=2e-2)
    assert result.last_loss < result.first_loss


def test_bf16_lora_under_dp_clips_float32_per_example_gradients(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"precision": "bf16", "dp": True, "accountant": "rdp", "batch_size": 8})
    result = train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", delta=1e-3)

    assert result.details["precision"] == "bf16" and result.steps == 3
    assert 0 < result.dp["epsilon"] < float("inf")
    adapter = load_file(result.adapter_dir / "adapter_model.safetensors")
    assert all(tensor.dtype == torch.float32 and torch.isfinite(tensor).all() for tensor in adapter.values())


def test_bf16_full_fine_tuning_runs_under_autocast_and_saves_float32_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"precision": "bf16", "method": "full"})
    result = train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter")

    assert result.details["precision_detail"] == "bfloat16 autocast over float32 weights"
    weights = load_file(result.adapter_dir / "model.safetensors")
    assert all(tensor.dtype == torch.float32 and torch.isfinite(tensor).all() for tensor in weights.values())
    assert result.last_loss < result.first_loss
