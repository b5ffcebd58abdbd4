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

import functools
import math
import os
import weakref
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
# on CPU (SmolLM2-135M, scripts/bench_train.py --split-cost): one more DP pass costs 28-33 tokens at
# 1 thread, 45-48 at 2. The step's cost is flat across 32-48 (within 0.5%, modelled on the bench's
# Poisson batches), so 32 serves both. On a GPU padding is nearly free until the device is full,
# so there the batch is split only for large savings.
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


def epsilon_after(accountant, optimizer, loader, *, delta: float, steps: int, exact_above: float | None = None) -> float:
    """Epsilon the accountant would report after `steps` more steps at this noise and sample rate.

    The trainer asks this before every step, so it must be cheap: RDP reuses each (noise, rate)
    pair's per-order values (the same arithmetic as Opacus, so the same float), and PRV reuses the
    discretised distributions of the longest plan asked so far (see prv_epsilon). A PRV value at or
    above `exact_above` (the policy's limit, less PRV_EXACT_MARGIN) is recomputed exactly as
    Opacus would, so a stop decision near the limit is the accountant's own.
    """
    noise, rate = optimizer.noise_multiplier, loader.sample_rate
    history = list(accountant.history)
    if history and tuple(history[-1][:2]) == (noise, rate):  # Opacus merges a repeated (noise, rate), as here
        history[-1] = (noise, rate, history[-1][2] + steps)
    else:
        history.append((noise, rate, steps))
    mechanism = type(accountant).__name__
    if mechanism == "RDPAccountant":
        return rdp_epsilon(history, delta)
    if mechanism == "PRVAccountant":
        epsilon = prv_epsilon(history, delta, plans=_PRV_PLANS.setdefault(accountant, []))
        if exact_above is not None and epsilon > exact_above - PRV_EXACT_MARGIN:
            epsilon = exact_epsilon("prv", history, delta)
        return epsilon
    return exact_epsilon("gdp", history, delta)


def exact_epsilon(mechanism: str, history: list[tuple[float, float, int]], delta: float) -> float:
    """Opacus' own epsilon for this history, computed from scratch."""
    from opacus.accountants import create_accountant

    accountant = create_accountant(mechanism)
    accountant.history = list(history)
    return float(accountant.get_epsilon(delta))


def rdp_epsilon(history: list[tuple[float, float, int]], delta: float) -> float:
    """RDPAccountant.get_epsilon without recomputing the per-order RDP of a known (noise, rate) pair."""
    from opacus.accountants import RDPAccountant
    from opacus.accountants.analysis import rdp as analysis

    rdp = sum([rdp_per_step(noise, rate) * steps for noise, rate, steps in history])
    epsilon, _ = analysis.get_privacy_spent(orders=RDPAccountant.DEFAULT_ALPHAS, rdp=rdp, delta=delta)
    return float(epsilon)


@functools.lru_cache(maxsize=16)
def rdp_per_step(noise: float, rate: float):
    """One step's RDP at Opacus' default orders (compute_rdp with steps=1, which multiplies by 1)."""
    from opacus.accountants import RDPAccountant
    from opacus.accountants.analysis import rdp as analysis

    return analysis.compute_rdp(q=rate, noise_multiplier=noise, steps=1, orders=RDPAccountant.DEFAULT_ALPHAS)


# Opacus' PRVAccountant.get_epsilon defaults: the epsilon it returns is an upper bound at most
# 2 x PRV_EPS_ERROR above the true epsilon, whatever valid discretisation produced it.
PRV_EPS_ERROR = 0.01
# Two such bounds (the planned domain's and Opacus' own) differ by at most this much.
PRV_EXACT_MARGIN = 2 * PRV_EPS_ERROR


@dataclass(frozen=True)
class PRVPlan:
    """Discretised PRVs on a domain safe for up to `steps[i]` compositions of the i-th (noise, rate)."""

    mechanisms: tuple[tuple[float, float], ...]
    steps: tuple[int, ...]
    delta: float
    discretised: tuple[Any, ...]  # opacus DiscretePRV, one per (noise, rate)
    spectra: tuple[Any, ...]  # the rfft of each one's pmf: half of every composition's FFT work

    def covers(self, history: list[tuple[float, float, int]], delta: float) -> bool:
        return (
            delta == self.delta
            and tuple((noise, rate) for noise, rate, _ in history) == self.mechanisms
            and all(steps <= most for (_, _, steps), most in zip(history, self.steps, strict=True))
        )


# Each live accountant's plans, newest first: the run's planned steps, then any longer history.
_PRV_PLANS: weakref.WeakKeyDictionary[Any, list[PRVPlan]] = weakref.WeakKeyDictionary()


def prv_epsilon(history: list[tuple[float, float, int]], delta: float, *, plans: list[PRVPlan]) -> float:
    """PRVAccountant.get_epsilon, with the domain and discretisation of a longer plan reused.

    Opacus rebuilds both for every call (an RDP search for the domain, then the PRV's CDF on
    every mesh point): most of a call's cost, and the trainer calls once per step. A domain safe
    for N compositions is safe for fewer (its bounds come from an epsilon that grows with the
    step count) and its mesh is finer than fewer need, so composing k <= N steps on it gives an
    upper bound with the same error guarantee; at k = N it is exactly Opacus' computation. The
    two bounds differ by at most PRV_EXACT_MARGIN (the reason exact_above exists). `plans` are
    the ones built so far for this accountant (a few, newest first); a new one is added here.
    """
    plan = next((plan for plan in plans if plan.covers(history, delta)), None)
    if plan is None:
        plan = prv_plan(history, delta)
        plans[:] = [plan, *plans[:3]]
    _, _, upper = compose(plan, [steps for _, _, steps in history]).compute_epsilon(delta, delta / 1000, PRV_EPS_ERROR)
    return float(upper)


def compose(plan: PRVPlan, steps: list[int]):
    """opacus' compose_heterogeneous (1.6, analysis/prv/compose.py), with each pmf's rfft taken from the plan."""
    import numpy as np
    from opacus.accountants.analysis.prv.compose import _compose_convolution_tree
    from opacus.accountants.analysis.prv.prvs import DiscretePRV
    from scipy.fft import irfft

    composed = []
    for discretised, spectrum, count in zip(plan.discretised, plan.spectra, steps, strict=True):
        pmf = irfft(spectrum**count)
        shift = count - 1 + (len(pmf) // 2 if count % 2 == 0 else 0)
        domain = discretised.domain.shift_right(discretised.domain.shifts * (count - 1))
        composed.append(DiscretePRV(pmf=np.roll(pmf, shift), domain=domain))
    return _compose_convolution_tree(composed)


def prv_plan(history: list[tuple[float, float, int]], delta: float) -> PRVPlan:
    """Opacus 1.6's PRVAccountant._get_dprv up to the composition, kept for reuse."""
    from opacus.accountants import PRVAccountant
    from opacus.accountants.analysis.prv import PoissonSubsampledGaussianPRV, TruncatedPrivacyRandomVariable, discretize
    from scipy.fft import rfft

    prvs = [PoissonSubsampledGaussianPRV(rate, noise) for noise, rate, _ in history]
    steps = [steps for _, _, steps in history]
    domain = PRVAccountant()._get_domain(prvs=prvs, num_self_compositions=steps, eps_error=PRV_EPS_ERROR, delta_error=delta / 1000)
    discretised = tuple(discretize(TruncatedPrivacyRandomVariable(prv, domain.t_min, domain.t_max), domain) for prv in prvs)
    spectra = tuple(rfft(d.pmf) for d in discretised)
    return PRVPlan(tuple((noise, rate) for noise, rate, _ in history), tuple(steps), delta, discretised, spectra)
