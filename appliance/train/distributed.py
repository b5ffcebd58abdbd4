"""Data-parallel training under `torchrun` (DDP): gloo on CPU, NCCL on CUDA.

One process per device. Every rank builds the same model from the same seed, trains on its own
shard of the examples (rank r takes examples r, r + W, r + 2W, ...) and DDP averages the
gradients, so the weights stay identical. Rank 0 alone writes the adapter, checkpoints, metrics
and progress; the others wait at a barrier. Without torchrun (WORLD_SIZE unset or 1) all of
this is a no-op.

DP-SGD is refused under DDP for now: Opacus' DPDDP needs a distributed Poisson sampler whose
accounting over ranks is not wired here yet. Train DP runs in one process.

Example:
    torchrun --nproc_per_node 2 my_training_script.py   # which calls train_lora(...)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from appliance.errors import ApplianceError


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_distributed() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(*, dp: bool) -> Distributed:
    """Join the torchrun process group (once per process); a single-process Distributed when not launched by torchrun."""
    if not launched_distributed():
        return Distributed()
    if dp:
        raise ApplianceError("DP training under torchrun is not supported yet (no distributed Poisson accounting); run DP training as one process")
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    return Distributed(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=local_rank)


def device_for(context: Distributed) -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", context.local_rank)
    return torch.device("cpu")


def shard(items: list, context: Distributed) -> list:
    """This rank's share: every world_size-th item, starting at its rank."""
    return items[context.rank :: context.world_size] if context.enabled else items


def wrap_model(model, context: Distributed, device: torch.device):
    """DDP around the trainable model (gradients averaged over ranks); the model itself when not distributed."""
    if not context.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def sum_over_ranks(value: float, context: Distributed) -> float:
    if not context.enabled:
        return value
    import torch.distributed as dist

    tensor = torch.tensor([float(value)], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor)
    return float(tensor.item())


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
