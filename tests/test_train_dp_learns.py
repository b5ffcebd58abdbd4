"""DP-SGD must still learn: the known Opacus + peft failure mode trains nothing while reporting epsilon."""

from __future__ import annotations

from pathlib import Path

from appliance.config import TrainConfig
from appliance.records import Message, Record, Source
from appliance.train.lm import load_tokenizer
from appliance.train.loop import train_lora
from appliance.train.scoring import load_adapter, token_losses

SOURCE = Source(path="faq.jsonl", sha256="1" * 64)
# One repeated answer style: learnable in a few noisy steps, so a DP run that trains nothing shows.
RECORDS = [
    Record(f"q{i}", "chat", SOURCE, messages=(Message("user", f"Question number {i}?"), Message("assistant", "Please call the branch.")))
    for i in range(64)
]


def test_dp_training_lowers_the_loss_on_what_it_trained(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = TrainConfig(max_steps=12, batch_size=16, learning_rate=2e-2, warmup_steps=1, max_seq_len=48, dp=True, target_epsilon=8.0)
    result = train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", delta=1e-3)
    assert result.dp is not None and 0 < result.dp["epsilon"] <= 8.0
    model = load_adapter(tiny_model_dir, result.adapter_dir)
    tokenizer = load_tokenizer(result.adapter_dir)
    tuned = token_losses(model, tokenizer, RECORDS[:16], max_len=48)
    with model.disable_adapter():
        base = token_losses(model, tokenizer, RECORDS[:16], max_len=48)
    tuned_loss = sum(s for s, _ in tuned) / sum(n for _, n in tuned)
    base_loss = sum(s for s, _ in base) / sum(n for _, n in base)
    assert tuned_loss < base_loss - 0.5, (base_loss, tuned_loss)
