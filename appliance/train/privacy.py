"""DP-SGD with Opacus: Poisson-sampled batches, per-example clipping, noise, and the accountant.

The privacy unit is one record by default: each record is one training example, so adding or
removing a record changes at most one row of the dataset the accountant reasons about.

With privacy_unit "subject" (user-level DP), every record of one data subject (the subject id
captured at ingest, before redaction) becomes ONE example: the records are packed side by side
with position ids restarting per record, so they cannot attend to each other, and the subject
is sampled, clipped and noised as a whole. The accountant's sampling rate is then over subjects,
and the guarantee covers adding or removing a whole person. A subject contributes at most
MAX_RECORDS_PER_SUBJECT records (their first ones, in corpus order); the rest are left out and
counted, which bounds the memory of one example at MAX_RECORDS_PER_SUBJECT x max_seq_len tokens.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Record
from appliance.train.data import BATCH_KEYS, Example, PaddedExamples, encode_for_task, trimmed_collate

# Records of one data subject trained together as one user-level DP example (see the module docstring).
MAX_RECORDS_PER_SUBJECT = 8


@dataclass(frozen=True)
class SubjectExamples:
    examples: list[Example]  # one per data subject
    records_over_cap: int


def subject_examples(records: Sequence[Record], tokenizer, config: TrainConfig, task: str) -> SubjectExamples:
    """One packed example per data subject; refuses records without a subject id."""
    from appliance.train.packing import pack_group

    missing = sum(1 for record in records if not record.subject_id)
    if missing:
        raise ApplianceError(
            f"privacy_unit subject needs a data-subject id on every record, but {missing} of {len(records)} have none; "
            "set ingest.subject_column to the customer id column, or use privacy_unit: record"
        )
    by_subject: dict[str, list[Record]] = {}
    for record in records:
        by_subject.setdefault(record.subject_id, []).append(record)
    examples, over_cap = [], 0
    for subject_records in by_subject.values():
        over_cap += max(0, len(subject_records) - MAX_RECORDS_PER_SUBJECT)
        kept = subject_records[:MAX_RECORDS_PER_SUBJECT]
        pieces = encode_for_task(kept, tokenizer, config.max_seq_len, task=task, assistant_turns=config.assistant_turns)
        if pieces:
            examples.append(pack_group(pieces[:MAX_RECORDS_PER_SUBJECT]))
    return SubjectExamples(examples, over_cap)


def secret_generator(device: torch.device | str = "cpu") -> torch.Generator:
    """A generator seeded from the OS, not from config.seed.

    DP-SGD's guarantee assumes the adversary cannot predict the noise or which records each
    batch drew; a seed written in the run config would let anyone replay both.
    """
    return torch.Generator(device).manual_seed(int.from_bytes(os.urandom(8), "little"))


def make_private(model, optimizer, examples, *, pad_id: int, config: TrainConfig, delta: float, steps: int, device="cpu"):
    """Wrap model, optimizer and data for DP-SGD, with noise planned for exactly `steps` steps."""
    try:
        from opacus import PrivacyEngine
    except ImportError:
        raise ApplianceError("differential privacy needs Opacus: pip install 'opacus==1.6.0'") from None

    loader = torch.utils.data.DataLoader(
        PaddedExamples(examples, pad_id), batch_size=config.batch_size, collate_fn=trimmed_collate
    )
    # Opacus samples each record with probability 1 / len(loader) per step and plans the noise
    # for int(epochs / sample_rate) steps; nudge epochs up if float rounding would lose a step.
    sample_rate = 1 / len(loader)
    epochs = steps * sample_rate
    while int(epochs / sample_rate) < steps:
        epochs = math.nextafter(epochs, math.inf)
    engine = PrivacyEngine(accountant=config.accountant)
    model, optimizer, loader = engine.make_private_with_epsilon(
        module=model,
        optimizer=optimizer,
        data_loader=loader,
        target_epsilon=config.target_epsilon,
        target_delta=delta,
        epochs=epochs,
        max_grad_norm=config.max_grad_norm,
        poisson_sampling=True,
        loss_reduction="mean",
        noise_generator=secret_generator(device),  # the noise is drawn where the parameters live
    )
    loader.batch_sampler.generator = secret_generator()  # which records each step draws must be secret too
    read_accumulated_iterations_once(optimizer)
    return model, optimizer, loader, engine


def read_accumulated_iterations_once(optimizer) -> None:
    """Give this DPOptimizer a scale_grad that counts the accumulated passes once per step.

    Opacus 1.6's DPOptimizer.scale_grad reads the `accumulated_iterations` property, itself a
    walk over every parameter, once per parameter: 420 x 420 checks a step for a LoRA on every
    projection of a 30-layer model, about a tenth of a short DP step on CPU (profiled). The
    arithmetic is unchanged: each gradient is divided by expected_batch_size x passes.
    """
    from opacus.optimizers import DPOptimizer

    if type(optimizer).scale_grad is not DPOptimizer.scale_grad:
        return  # another optimizer class scales its own way; leave it alone

    def scale_grad() -> None:
        if optimizer.loss_reduction == "mean":
            divisor = optimizer.expected_batch_size * optimizer.accumulated_iterations
            for p in optimizer.params:
                p.grad /= divisor

    optimizer.scale_grad = scale_grad


def poisson_batches(loader) -> Iterator[dict[str, torch.Tensor]]:
    """Endless Poisson batches, each a dict like `collate`'s, possibly with zero rows.

    Opacus makes an empty batch by copying the structure of the first non-empty one; when the
    very first batch is empty it has none to copy and returns a bare list of empty tensors.
    """
    while True:
        for batch in loader:
            if not isinstance(batch, dict):
                batch = dict(zip(BATCH_KEYS, batch, strict=False))
            yield batch


# What one more forward/backward pass costs, in padded tokens' worth of compute. A Poisson batch
# is random, so one padded tensor would carry its longest row's length in every row; it is cut
# into length-sorted micro-batches wherever the padding saved outweighs the extra pass. Measured
# on CPU (SmolLM2-135M, 1-2 threads): a pass costs about as much as 32 tokens. On a GPU padding is
# nearly free until the device is full, so there the batch is split only for large savings.
SPLIT_COST_TOKENS = {"cpu": 32, "cuda": 8192}


def physical_batches(batch: dict[str, torch.Tensor], *, split_cost_tokens: int) -> list[dict[str, torch.Tensor]]:
    """A logical batch as length-sorted micro-batches, each trimmed to its longest row.

    The cut is the cheapest one by (padded tokens + split_cost_tokens per micro-batch), found
    exactly over the sorted lengths. Every row stays one privacy unit: rows are regrouped, never
    merged, and per-example gradients add up across micro-batches (see private_step).
    """
    rows = batch["input_ids"].shape[0]
    if rows == 0:
        return []
    lengths = batch["attention_mask"].sum(dim=1)
    order = torch.argsort(lengths, descending=True, stable=True)
    longest = [int(length) for length in lengths[order]]
    # cost[i]: cheapest layout of the i longest rows; a micro-batch of rows j..i-1 costs (i - j) x longest[j].
    cost = [0.0] + [math.inf] * rows
    cut = [0] * (rows + 1)
    for i in range(1, rows + 1):
        for j in range(i):
            candidate = cost[j] + (i - j) * longest[j] + split_cost_tokens
            if candidate < cost[i]:
                cost[i], cut[i] = candidate, j
    bounds, i = [], rows
    while i > 0:
        bounds.append((cut[i], i))
        i = cut[i]
    micro = []
    for start, end in reversed(bounds):
        index = order[start:end]
        micro.append({key: value[index, : longest[start]] for key, value in batch.items()})
    return micro


def report(engine, optimizer, loader, *, config: TrainConfig, delta: float) -> dict[str, Any]:
    """What the run spent, from the accountant itself rather than from the plan."""
    return {
        "epsilon": float(engine.get_epsilon(delta)),
        "delta": delta,
        "noise_multiplier": float(optimizer.noise_multiplier),
        "sample_rate": loader.sample_rate,
        "accountant": config.accountant,
        "max_grad_norm": config.max_grad_norm,
        "steps": sum(steps for _, _, steps in engine.accountant.history),
        "privacy_unit": config.privacy_unit,
    }


def epsilon_after(accountant, optimizer, loader, *, delta: float, steps: int) -> float:
    """Epsilon the accountant would report after `steps` more steps at this noise and sample rate."""
    from opacus.accountants import create_accountant

    mechanism = {"PRVAccountant": "prv", "RDPAccountant": "rdp", "GaussianAccountant": "gdp"}[type(accountant).__name__]
    future = create_accountant(mechanism)
    future.history = list(accountant.history)
    if steps == 1:
        future.step(noise_multiplier=optimizer.noise_multiplier, sample_rate=loader.sample_rate)
    else:
        future.history.append((optimizer.noise_multiplier, loader.sample_rate, steps))
    return float(future.get_epsilon(delta))
