"""Numeric precision of training: float32, or bfloat16 on GPUs that do it natively.

bf16 halves the memory of the frozen base and runs matrix products on the GPU's tensor cores;
what is trained stays float32, so small updates are not rounded away:
- LoRA: the base weights are loaded in bf16, the adapter in float32 (peft keeps adapter weights
  float32 and casts each LoRA input to them), with no autocast. Per-example gradients under DP are
  therefore float32 too: Opacus computes them from the adapter's own float32 inputs and outputs.
- full fine-tuning, prefix tuning and IA3: float32 weights, forward under torch.autocast(bf16),
  the usual mixed-precision recipe (bf16 needs no loss scaling: it has float32's exponent range).
- a 4-bit base (bitsandbytes) computes in bf16 already; its adapter stays float32.
The loss is always taken in float32 (appliance.train.loop.per_example_loss).

"auto" is bf16 on a CUDA GPU that supports it and float32 elsewhere: on most CPUs bf16 matrix
products are slower than float32, and CPU results should match the reference tests bit for bit.

Example:
    >>> precision = resolve_precision("auto", device=torch.device("cuda"), method="lora", load_in_4bit=False)
    >>> precision.base_dtype, precision.autocast
    (torch.bfloat16, None)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from appliance.errors import ApplianceError

PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class Precision:
    name: str  # "fp32" or "bf16": what the stage records
    base_dtype: torch.dtype  # dtype the base model's weights are loaded in
    autocast: torch.dtype | None  # dtype of torch.autocast around the forward pass, or None
    four_bit: bool = False  # base weights quantised to NF4 by bitsandbytes, computing in base_dtype

    @property
    def logit_tolerance(self) -> float:
        """How far two computations of the same logits may differ from rounding alone (bf16 keeps 8 bits of mantissa)."""
        return 1e-3 if self.name == "fp32" else 5e-2

    def describe(self) -> str:
        if self.name == "fp32":
            return "float32"
        if self.four_bit:
            return "4-bit NF4 base computing in bfloat16, float32 trainable weights"
        if self.autocast is not None:
            return "bfloat16 autocast over float32 weights"
        return "bfloat16 base weights, float32 trainable weights"


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return device.type == "cpu"  # CPU autocast and bf16 kernels exist everywhere, if often slowly


def resolve_precision(requested: str, *, device: torch.device, method: str, load_in_4bit: bool) -> Precision:
    """The precision a run trains in; refuses bf16 where the device cannot do it."""
    if requested not in PRECISIONS:
        raise ApplianceError(f"unknown precision {requested!r}; use one of {', '.join(PRECISIONS)}")
    wants_bf16 = requested == "bf16" or (requested == "auto" and device.type == "cuda" and bf16_supported(device))
    if load_in_4bit:
        if requested == "fp32":
            raise ApplianceError("a 4-bit base computes in bfloat16; set train.precision: auto (or bf16) with load_in_4bit")
        wants_bf16 = True
    if not wants_bf16:
        return Precision("fp32", torch.float32, None)
    if not bf16_supported(device):
        raise ApplianceError(f"this {device.type} device has no bfloat16 support (CUDA needs compute capability 8.0 or newer); set train.precision: fp32")
    if load_in_4bit:
        return Precision("bf16", torch.bfloat16, None, four_bit=True)
    if method == "lora":
        return Precision("bf16", torch.bfloat16, None)
    return Precision("bf16", torch.float32, torch.bfloat16)


def apply_autocast(model, precision: Precision, device: torch.device):
    """Run every forward pass of `model` under autocast when `precision` asks for it (as accelerate does)."""
    if precision.autocast is not None:
        model.forward = torch.autocast(device_type=device.type, dtype=precision.autocast)(model.forward)
    return model
