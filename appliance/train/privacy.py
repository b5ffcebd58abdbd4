"""DP-SGD with Opacus: Poisson-sampled batches, per-example clipping, noise, and the accountant.

The privacy unit is one record: each record is one training example, so adding or removing
a record changes at most one row of the dataset the accountant reasons about.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.train.data import PaddedExamples, trimmed_collate


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
    return model, optimizer, loader, engine


def poisson_batches(loader) -> Iterator[dict[str, torch.Tensor]]:
    """Endless Poisson batches, each a dict like `collate`'s, possibly with zero rows.

    Opacus makes an empty batch by copying the structure of the first non-empty one; when the
    very first batch is empty it has none to copy and returns a bare list of empty tensors.
    """
    while True:
        for batch in loader:
            if not isinstance(batch, dict):
                batch = dict(zip(("input_ids", "attention_mask", "labels"), batch, strict=True))
            yield batch


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
        "privacy_unit": "record",
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
