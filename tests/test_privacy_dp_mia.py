"""Membership inference on a tiny model: without DP it memorises and the gate fails; with DP it does not.

The same 16 training records and 16 held-out records, the same steps and learning rate; the
only difference is DP-SGD at a small epsilon (Opacus, through the real training library). Without
DP the strongest loss attack separates members from non-members well beyond chance; with DP at
epsilon 1 its 95% interval holds 0.5, which is what the guarantee promises for an attack this size.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from appliance.records import Record, Source
from audits.gates import privacy_audit_gates
from audits.privacy.membership import membership_inference
from policies.loader import load_policy

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango".split()
RECORDS = 16
SMALL_EPSILON = 1.0


def corpus() -> tuple[list[Record], list[Record]]:
    """(members, non-members): random 12-word documents from one vocabulary, so only memorising tells them apart."""
    rng = random.Random(0)
    source = Source(path="docs.jsonl", sha256="0" * 64)
    docs = [Record(f"d{i}", "document", source, text=" ".join(rng.choice(WORDS) for _ in range(12))) for i in range(2 * RECORDS)]
    return docs[:RECORDS], docs[RECORDS:]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, smollm2_dir: Path, tiny_llama) -> Path:
    """A 2-layer Llama like conftest's tiny model but with larger initial weights (initializer_range 0.2).

    Why not the shared tiny model: its tied embeddings start at std 0.02, which caps every logit
    near 1 nat, so a LoRA adapter cannot lower the loss far below ln(vocabulary) whatever it
    learns, and memorisation (the thing under test) barely shows.
    """
    from appliance.train.lm import load_tokenizer

    tokenizer = load_tokenizer(smollm2_dir)
    folder = tmp_path_factory.mktemp("memorising-model")
    tiny_llama(tokenizer, max_position_embeddings=256, initializer_range=0.2).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def attack(model_dir: Path, out_dir: Path, *, dp: bool) -> tuple[dict, dict | None]:
    """Train on the members, then run the membership attacks; returns (membership result, DP accounting)."""
    from appliance.config import TrainConfig
    from appliance.train.lm import load_tokenizer
    from appliance.train.loop import train_lora
    from appliance.train.scoring import load_adapter, token_losses

    members, others = corpus()
    config = TrainConfig(
        max_steps=10, batch_size=RECORDS, learning_rate=5e-2, warmup_steps=0, max_seq_len=64, lora_r=16, lora_alpha=32,
        dp=dp, target_epsilon=SMALL_EPSILON,
    )
    result = train_lora(model_dir, members, config, out_dir)
    model, tokenizer = load_adapter(model_dir, out_dir), load_tokenizer(out_dir)

    def per_token(records: list[Record]) -> list[float]:
        return [loss / tokens for loss, tokens in token_losses(model, tokenizer, records, 64)]

    adapted = per_token(members), per_token(others)
    with model.disable_adapter():
        original = per_token(members), per_token(others)
    membership = membership_inference(
        adapted[0], adapted[1], member_base_losses=original[0], non_member_base_losses=original[1], n_bootstrap=200, seed=0
    )
    return membership, result.dp


def membership_gate(membership: dict) -> dict:
    return privacy_audit_gates({"membership": membership, "notes": {}}, load_policy("default"))[0]


def test_without_dp_a_small_corpus_trained_long_is_told_apart_and_the_gate_fails(model_dir: Path, tmp_path: Path) -> None:
    membership, accounting = attack(model_dir, tmp_path / "adapter", dp=False)
    strongest = membership["strongest"]
    assert accounting is None
    assert strongest["auc"] >= 0.9
    assert strongest["auc_ci"][0] > 0.6  # beyond chance and beyond the default policy's limit, with 95% confidence
    assert strongest["empirical_epsilon"]["epsilon_lower_bound"] > 0  # the attack proves some leakage
    gate = membership_gate(membership)
    assert (gate["status"], gate["value"], gate["threshold"]) == ("fail", strongest["auc_ci"][0], 0.6)


def test_with_dp_at_small_epsilon_the_attack_stays_at_chance_and_the_gate_passes(model_dir: Path, tmp_path: Path) -> None:
    membership, accounting = attack(model_dir, tmp_path / "adapter", dp=True)
    strongest = membership["strongest"]
    assert accounting["epsilon"] <= SMALL_EPSILON + 1e-6
    # epsilon 1 still allows a small real advantage (the AUC interval's lower end was seen at 0.516 on
    # one run), so "the interval holds 0.5" is not what DP promises. It promises that no attack can
    # prove more than epsilon: an attack on 16 + 16 records cannot prove leakage above epsilon 1.
    assert strongest["auc_ci"][0] < 0.75
    assert strongest["empirical_epsilon"]["epsilon_lower_bound"] <= SMALL_EPSILON
    assert membership_gate(membership)["status"] == "pass"
