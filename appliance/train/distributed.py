"""Data-parallel training under `torchrun` (DDP): gloo on CPU, NCCL on CUDA.

One process per device. Every rank builds the same model from the same seed, trains on its own
shard of the examples (rank r takes examples r, r + W, r + 2W, ...) and DDP averages the
gradients, so the weights stay identical. Rank 0 alone writes the adapter, checkpoints, metrics
and progress; the others wait at a barrier. Without torchrun (WORLD_SIZE unset or 1) all of
this is a no-op.

DP-SGD under torchrun (DP-DDP) gives the same guarantee as one process with the same logical
batch. The model is wrapped in Opacus' DPDDP, so make_private builds its distributed pieces:
every rank is handed ALL examples and owns a fixed slice of them; each step every rank draws
each example of its slice with the single-process sampling rate q (about batch_size / N), so the
union over ranks is one Poisson sample of all N examples. Each rank clips its own examples;
rank 0 alone adds the Gaussian noise (sigma * C, once), and the summed gradient is divided by
the expected LOGICAL batch size, exactly as in one process. Every rank's accountant counts each
step once with that q and sigma, so epsilon equals the single-process epsilon. Opacus' own
distributed sampler skips a rank's empty local draw, which would draw again and raise the
chance of being sampled above q; `every_step_poisson` draws like it but keeps empty batches,
and train_lora draws through it (tests/test_train_ddp_dp.py::test_train_lora_draws_every_step).

Examples:
    torchrun --nproc_per_node 2 --no-python -- appliance train --run runs/r1   # the stage (see join_launch)
    torchrun --nproc_per_node 2 my_training_script.py   # a script that calls train_lora(...)
"""

from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    dp: bool = False  # DP-SGD: Opacus' DPDDP instead of torch's DDP

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_distributed() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(*, dp: bool = False) -> Distributed:
    """Join the torchrun process group (once per process); a single-process Distributed when not launched by torchrun."""
    if not launched_distributed():
        return Distributed(dp=dp)
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    return Distributed(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=local_rank, dp=dp)


def device_for(context: Distributed) -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", context.local_rank)
    return torch.device("cpu")


def shard(items: list, context: Distributed) -> list:
    """This rank's share: every world_size-th item, starting at its rank."""
    return items[context.rank :: context.world_size] if context.enabled else items


def wrap_model(model, context: Distributed, device: torch.device):
    """DDP around the trainable model (gradients averaged over ranks); the model itself when not distributed.

    Under DP, Opacus' DPDDP: it only makes the ranks start from rank 0's weights, and tells
    make_private to build the distributed sampler and optimizer (see the module docstring).
    """
    if not context.enabled:
        return model
    if context.dp:
        from opacus.distributed import DifferentiallyPrivateDistributedDataParallel

        return DifferentiallyPrivateDistributedDataParallel(model)
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def _all_reduce_sum(values: list[float]) -> list[float]:
    import torch.distributed as dist

    tensor = torch.tensor(values, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor)
    return tensor.tolist()


def reduce_step(loss: float | None, tokens: int, context: Distributed) -> tuple[float | None, int]:
    """A step's mean loss and total real tokens over every rank, in one all_reduce.

    The loss is the mean over the ranks that had a batch: under DP-DDP a rank's Poisson draw can
    be empty (its loss is None); None only when every rank's was.
    """
    if not context.enabled:
        return loss, tokens
    loss_sum, with_loss, total_tokens = _all_reduce_sum([0.0 if loss is None else loss, 0.0 if loss is None else 1.0, float(tokens)])
    return (loss_sum / with_loss if with_loss else None), int(total_tokens)


class EveryStepPoisson(torch.utils.data.Sampler):
    """This rank's share of one Poisson draw over all examples, every step, empty or not.

    The rank owns examples rank, rank + W, ...; each is drawn independently with probability
    sample_rate. Unlike Opacus' DistributedUniformWithReplacementSampler, an empty draw is
    yielded (the step still runs, with a noise-only update) instead of being skipped.
    """

    def __init__(self, total: int, sample_rate: float, steps: int, context: Distributed, generator: torch.Generator | None):
        self.owned = torch.arange(context.rank, total, context.world_size)
        self.sample_rate, self.steps, self.generator = sample_rate, steps, generator

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for _ in range(self.steps):
            drawn = torch.rand(len(self.owned), generator=self.generator) < self.sample_rate
            yield self.owned[drawn].tolist()


def every_step_poisson(loader, context: Distributed):
    """Opacus' DP data loader with its distributed sampler replaced by EveryStepPoisson.

    Keeps the loader's dataset, its empty-batch-aware collate, its sampling rate and its
    (secret) generator; a single-process loader is returned as it is.
    """
    if not (context.enabled and getattr(loader, "distributed", False)):
        return loader
    sampler = loader.batch_sampler
    every_step = EveryStepPoisson(len(loader.dataset), loader.sample_rate, len(sampler), context, sampler.generator)
    replaced = torch.utils.data.DataLoader(loader.dataset, batch_sampler=every_step, collate_fn=loader.collate_fn)
    replaced.sample_rate = loader.sample_rate
    return replaced


def gather_objects(value: Any, context: Distributed) -> list[Any]:
    """Every rank's `value`, in rank order (collective: every rank must call it)."""
    if not context.enabled:
        return [value]
    import torch.distributed as dist

    gathered: list[Any] = [None] * context.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def barrier(context: Distributed) -> None:
    if context.enabled:
        import torch.distributed as dist

        dist.barrier()


# ---- `appliance train` / `appliance run` under torchrun ---------------------------------------
# Rank 0 runs the command as usual (lock, snapshots, manifest, progress); the other ranks wait for
# its one word: TRAIN when the train stage starts training (they then train beside it), STOP when
# it will not (the stage was unchanged and skipped, failed before training, or the run ended).

TRAIN, STOP = "train", "stop"
# Rank 0 may ingest and scrub for hours before training; the others wait that long for its word.
WORD_TIMEOUT = datetime.timedelta(days=2)
_word_group: Any = None
_word_sent = False


def join_launch() -> Distributed:
    """Every rank, first thing in the command: join torchrun's group and the channel for rank 0's word."""
    global _word_group
    context = init_distributed()
    if context.enabled and _word_group is None:
        import torch.distributed as dist

        # Its own gloo group: a long timeout for this wait only, training collectives keep the default.
        _word_group = dist.new_group(backend="gloo", timeout=WORD_TIMEOUT)
    return context


def tell_followers(word: str) -> None:
    """Rank 0: send the other ranks `word`, once per process (later calls do nothing); a no-op without torchrun."""
    global _word_sent
    if _word_group is None or _word_sent:
        return
    import torch.distributed as dist

    dist.broadcast_object_list([word], src=0, group=_word_group)
    _word_sent = True


# How long a rank waits at the end for the others before it closes its groups anyway: one that
# failed mid-training never arrives, and must not hold the rest for the word channel's two days.
LEAVE_TIMEOUT = datetime.timedelta(seconds=60)


def leave() -> None:
    """Every rank, last thing in the command: meet the others, then close the process groups.

    A rank that exits with its gloo groups open can abort at interpreter exit ("terminate called
    without an active exception"), more often when another rank has already gone; so the ranks
    meet on the word channel first, then close their groups before exiting. A no-op without torchrun.
    """
    global _word_group
    if _word_group is None:
        return
    import torch.distributed as dist

    with contextlib.suppress(RuntimeError):  # a rank that failed is already reported by its own error
        dist.monitored_barrier(group=_word_group, timeout=LEAVE_TIMEOUT)
    _word_group = None
    dist.destroy_process_group()


def await_leader() -> str:
    """A non-zero rank: block until rank 0 tells TRAIN or STOP."""
    import torch.distributed as dist

    word: list[Any] = [None]
    dist.broadcast_object_list(word, src=0, group=_word_group)
    return str(word[0])
