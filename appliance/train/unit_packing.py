"""Several DP privacy units side by side in one row, each still clipped on its own.

A Poisson batch draws examples of random lengths. As rows of one tensor it is mostly padding;
cut into length-sorted micro-batches (privacy.physical_batches) it costs extra passes, and on
CPU a pass has a fixed cost that more threads do not shrink. Here the drawn examples are laid
end to end instead, a few rows of nearly equal length, in one pass:
- positions restart at every example and the model gets no 2-D mask, so transformers builds a
  block-diagonal causal mask and no example attends to another (packing.py; checked on the
  actual model by `packing.verify_isolation` before a run may pack);
- every token carries the index of its privacy unit (`units`), and the per-sample gradient of
  each LoRA Linear is summed per unit instead of per row: grad W[u] = sum over u's tokens of
  g_t x_t^T, exactly the gradient the example would get alone (nothing outside u reaches u's
  tokens), so Opacus clips, sums and noises each unit as before;
- an example's first token carries no loss (it would be predicted from the previous example).

UnitGradients also serves unpacked rows, for every DP run: one bmm per LoRA factor with its thin
side first (`outer_sums`), where Opacus' einsum took about 4x longer on CPU.

The layout is chosen by a cost model in padded tokens (privacy.SPLIT_COST_TOKENS per pass, plus
the attention's cost quadratic in the row length), against the unpacked micro-batches; the
cheaper one runs. Only where every trainable module is an nn.Linear (LoRA's A and B).

Example:
    gradients = install_unit_gradients(model)          # after make_private
    for batch in dp_layout(poisson_batch, split_cost_tokens=32, attention_tokens=2100):
        with gradients.packed(batch):
            ...forward, per_unit_loss(logits, batch), backward...
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from appliance.train.data import IGNORE

# The attention's cost in a row of w tokens, as w * w / ATTENTION_TOKENS padded tokens' worth:
# measured on CPU (SmolLM2-135M, one thread) from one row of 4 x 86 tokens against 4 rows of 86
# and 2 rows of 172. Packing is used on CPU only: on a GPU padding is nearly free and one pass
# carries the whole batch already.
ATTENTION_TOKENS = {"cpu": 2100}


def row_cost(rows: int, width: int, *, split_cost_tokens: float, attention_tokens: float) -> float:
    """One pass of `rows` rows of `width` tokens, in padded tokens' worth of compute."""
    return split_cost_tokens + rows * (width + width * width / attention_tokens)


def unpacked_cost(passes: list[dict[str, torch.Tensor]], *, split_cost_tokens: float, attention_tokens: float) -> float:
    return sum(
        row_cost(p["input_ids"].shape[0], p["input_ids"].shape[1], split_cost_tokens=split_cost_tokens, attention_tokens=attention_tokens)
        for p in passes
    )


def balanced_rows(lengths: list[int], rows: int) -> list[list[int]]:
    """Example indices in `rows` rows of nearly equal total length: longest first, each into the shortest row."""
    heap = [(0, row) for row in range(rows)]
    members: list[list[int]] = [[] for _ in range(rows)]
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        load, row = heapq.heappop(heap)
        members[row].append(i)
        heapq.heappush(heap, (load + lengths[i], row))
    return [sorted(row) for row in members if row]


def cheapest_packing(lengths: list[int], *, split_cost_tokens: float, attention_tokens: float) -> tuple[float, list[list[int]]]:
    """The cheapest packed layout (one pass, 1..n rows) and its cost."""
    best: tuple[float, list[list[int]]] | None = None
    for rows in range(1, len(lengths) + 1):
        members = balanced_rows(lengths, rows)
        width = max(sum(lengths[i] for i in row) for row in members)
        cost = row_cost(len(members), width, split_cost_tokens=split_cost_tokens, attention_tokens=attention_tokens)
        if best is None or cost < best[0]:
            best = (cost, members)
    assert best is not None
    return best


def pack_units(batch: dict[str, torch.Tensor], members: list[list[int]]) -> dict[str, torch.Tensor]:
    """The batch's examples laid end to end, `members[r]` in row r: input_ids, attention_mask, labels, position_ids, units.

    units[r, t] is the index (in `batch`) of the example whose token sits at (r, t), -1 on padding.
    Padding gets positions of its own, like `collate` gives a packed row's padding.
    """
    lengths = [int(n) for n in batch["attention_mask"].sum(dim=1)]
    width = max(sum(lengths[i] for i in row) for row in members)
    device = batch["input_ids"].device
    packed = {
        "input_ids": torch.full((len(members), width), 0, dtype=torch.long, device=device),
        "attention_mask": torch.zeros((len(members), width), dtype=torch.long, device=device),
        "labels": torch.full((len(members), width), IGNORE, dtype=torch.long, device=device),
        "position_ids": torch.empty((len(members), width), dtype=torch.long, device=device),
        "units": torch.full((len(members), width), -1, dtype=torch.long, device=device),
    }
    positions = batch.get("position_ids")  # a subject's rows under user-level DP restart per record already
    for r, row in enumerate(members):
        at = 0
        for i in row:
            n = lengths[i]
            packed["input_ids"][r, at : at + n] = batch["input_ids"][i, :n]
            packed["labels"][r, at : at + n] = batch["labels"][i, :n]
            packed["labels"][r, at] = IGNORE  # predicted from the example before: no loss (its own loss never counts it)
            packed["position_ids"][r, at : at + n] = positions[i, :n] if positions is not None else torch.arange(n, device=device)
            packed["units"][r, at : at + n] = i
            at += n
        packed["attention_mask"][r, :at] = 1
        packed["position_ids"][r, at:] = torch.arange(width - at, device=device)
    return packed


def dp_layout(batch: dict[str, torch.Tensor], *, split_cost_tokens: float, attention_tokens: float | None) -> list[dict[str, torch.Tensor]]:
    """The passes for one Poisson batch: packed rows when the cost model says so, else privacy.physical_batches.

    attention_tokens None: never pack (a device where packing is not used).
    """
    from appliance.train.privacy import physical_batches

    unpacked = physical_batches(batch, split_cost_tokens=split_cost_tokens)
    if attention_tokens is None or len(unpacked) == 0:
        return unpacked
    lengths = [int(n) for n in batch["attention_mask"].sum(dim=1)]
    cost, members = cheapest_packing(lengths, split_cost_tokens=split_cost_tokens, attention_tokens=attention_tokens)
    if all(len(row) == 1 for row in members) or cost >= unpacked_cost(unpacked, split_cost_tokens=split_cost_tokens, attention_tokens=attention_tokens):
        return unpacked
    return [pack_units(batch, members)]


def per_unit_loss(logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Each unit's mean token loss (units in order of first appearance: 0..n-1), in float32."""
    units = batch["units"]
    count = int(units.max()) + 1
    labels = batch["labels"][:, 1:]
    token_loss = nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
    owner = units[:, 1:].reshape(-1)  # the unit of the token each position predicts
    trained = (labels.reshape(-1) != IGNORE) & (owner >= 0)
    sums = token_loss.new_zeros(count).index_add(0, owner[trained], token_loss.reshape(-1)[trained])
    counts = torch.zeros(count, dtype=torch.long, device=units.device).index_add(0, owner[trained], torch.ones_like(owner[trained]))
    return sums / counts.clamp(min=1)


@dataclass(frozen=True)
class UnitLayout:
    """Where each unit's tokens sit in the flattened (rows x width) batch: spans[u] = (start, end)."""

    count: int
    spans: list[tuple[int, int]]

    @classmethod
    def of(cls, units: torch.Tensor) -> UnitLayout:
        flat = units.reshape(-1)
        count = int(flat.max()) + 1
        real = (flat >= 0).nonzero().flatten()
        owner = flat[real]
        starts = torch.full((count,), flat.numel(), dtype=torch.long, device=flat.device).scatter_reduce(0, owner, real, "amin")
        ends = torch.zeros(count, dtype=torch.long, device=flat.device).scatter_reduce(0, owner, real + 1, "amax")
        if not torch.equal(ends - starts, torch.bincount(owner, minlength=count)):
            raise ValueError("every unit's tokens must lie side by side in one row")  # pack_units lays them out so
        return cls(count, list(zip(starts.tolist(), ends.tolist(), strict=True)))


class UnitGradients:
    """Per-unit gradients for a model made private by Opacus (hooks mode), active inside `packed(batch)`."""

    def __init__(self, model: nn.Module):
        self.layout: UnitLayout | None = None
        self.modules = [m for m in model.modules() if isinstance(m, nn.Linear) and any(p.requires_grad for p in m.parameters(recurse=False))]
        # Opacus looks its grad samplers up on the instance first: this model's Linear layers sum per unit when packed.
        model.GRAD_SAMPLERS = {**type(model).GRAD_SAMPLERS, nn.Linear: self.linear_grad_sample}

    @contextlib.contextmanager
    def packed(self, batch: dict[str, torch.Tensor]) -> Iterator[None]:
        """Per-unit gradients for one forward and backward pass of `batch` (no-op for an unpacked batch)."""
        if "units" not in batch:
            yield
            return
        self.layout = UnitLayout.of(batch["units"])
        # Opacus sizes each per-sample gradient, and scales a mean loss back, by max_batch_len:
        # here the number of units, not of rows (its own mechanism for packed sequences).
        for module in self.modules:
            module.max_batch_len = self.layout.count
        try:
            yield
        finally:
            self.layout = None
            for module in self.modules:
                if hasattr(module, "max_batch_len"):
                    del module.max_batch_len

    def linear_grad_sample(self, layer: nn.Linear, activations: list[torch.Tensor], backprops: torch.Tensor) -> dict[nn.Parameter, torch.Tensor]:
        """Opacus' per-sample gradient of a Linear layer: per row, or per unit inside `packed`."""
        x = activations[0].to(backprops.dtype)
        layout = self.layout
        if layout is None:  # one example per row: the sum runs over the row's positions
            x = x.reshape(x.shape[0], -1, x.shape[-1])
            g = backprops.reshape(backprops.shape[0], -1, backprops.shape[-1])
            weight, bias = (lambda: outer_sums(g, x)), (lambda: g.sum(dim=1))
        else:
            # Several units per row: each unit's tokens are one contiguous span of the flattened batch,
            # so its sum is one product of two views (no copy; about a per-row bmm's cost, measured).
            x, g = x.reshape(-1, x.shape[-1]), backprops.reshape(-1, backprops.shape[-1])
            weight = lambda: torch.cat([outer_sums(g[None, start:end], x[None, start:end]) for start, end in layout.spans])  # noqa: E731
            bias = lambda: torch.stack([g[start:end].sum(dim=0) for start, end in layout.spans])  # noqa: E731
        samples = {}
        if layer.weight.requires_grad:
            samples[layer.weight] = weight()
        if layer.bias is not None and layer.bias.requires_grad:
            samples[layer.bias] = bias()
        return samples


def outer_sums(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum over positions of g x^T per sample, (n, out, in), Opacus' einsum "n...i,n...j->nij" as one bmm.

    A LoRA factor is long and thin (in or out is the rank, 8): the product is several times
    faster on CPU with the long side as the output's last dimension (measured 0.72 -> 0.16 ms for
    a 1536 x 8 factor, 4 rows of 86), so the thin side goes first and the result is a transposed view.
    """
    if g.shape[-1] >= x.shape[-1]:
        return torch.bmm(x.transpose(1, 2), g).transpose(1, 2)
    return torch.bmm(g.transpose(1, 2), x)


def isolates(model: nn.Module, vocab_size: int, *, tolerance: float) -> bool:
    """Whether this model keeps packed examples apart (packing.verify_isolation), as a yes or no."""
    from appliance.errors import ApplianceError
    from appliance.train.packing import verify_isolation

    try:
        verify_isolation(model, vocab_size, tolerance=tolerance)
    except ApplianceError:
        return False
    return True


def install_unit_gradients(model: nn.Module) -> UnitGradients | None:
    """Per-unit gradients for this Opacus-wrapped model, or None when it cannot pack (a trainable module other than Linear)."""
    trainable = [m for m in model.modules() if any(p.requires_grad for p in m.parameters(recurse=False))]
    if not trainable or any(not isinstance(m, nn.Linear) for m in trainable):
        return None
    return UnitGradients(model)
