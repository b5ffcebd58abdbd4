"""What is trained: a LoRA adapter (default), peft's prefix tuning or IA3, or the whole model.

Each method is checked against the run's other settings before any weight is loaded, so a
combination that cannot work fails in a second with one line, not after an hour of training.

Example:
    check_method(config, device)            # ApplianceError for an unsupported combination
    model = build_trainable_model(base, config)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError

LLAMA_STYLE_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {
    "llama": LLAMA_STYLE_TARGETS,
    "mistral": LLAMA_STYLE_TARGETS,
    "qwen2": LLAMA_STYLE_TARGETS,
    "qwen3": LLAMA_STYLE_TARGETS,
    "gpt2": ("c_attn", "c_proj", "c_fc"),
}
# IA3 rescales keys, values and the MLP's down projection input (the IA3 paper's choice).
IA3_TARGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    arch: (("k_proj", "v_proj", "down_proj"), ("down_proj",)) for arch in ("llama", "mistral", "qwen2", "qwen3")
}
# Full fine-tuning keeps weights, gradients and two AdamW moments in float32: 16 bytes a parameter,
# so 500M parameters already need 8 GB before activations. Larger models: use LoRA.
FULL_FINETUNE_MAX_PARAMETERS = 500_000_000
PREFIX_VIRTUAL_TOKENS = 16
# bitsandbytes release the 4-bit path was written against (named in the error when it is missing).
BITSANDBYTES_PIN = "bitsandbytes==0.50.2"


def lora_targets(model_type: str, configured: Sequence[str] | str | None) -> list[str] | str:
    if configured is not None:
        return configured if isinstance(configured, str) else list(configured)
    return list(DEFAULT_TARGETS.get(model_type, ())) or "all-linear"


def check_method(config: TrainConfig, *, task: str, cuda: bool) -> None:
    """Refuse combinations that cannot train correctly, each with what to change."""
    method = config.method
    if config.dp and method != "lora":
        # Opacus has per-example gradients for Linear/Embedding layers; peft's IA3 vectors and
        # prefix encoder, and a tied full model, have none that are exact.
        raise ApplianceError(f"DP training supports method lora only (not {method}); drop --dp or use --method lora")
    if config.dp and config.gradient_accumulation_steps > 1:
        # The Poisson sampler draws each logical batch whole (the trainer then cuts it into
        # micro-batches by length); accumulating several would change the sampling rate the accountant assumes.
        raise ApplianceError("gradient accumulation is not supported with DP (Poisson batches are drawn whole); raise batch_size instead")
    if config.dp and config.use_dora:
        raise ApplianceError("DoRA cannot train under DP: Opacus has no per-example gradients for its magnitude vector; drop use_dora or dp")
    if config.dp and config.gradient_checkpointing:
        raise ApplianceError("gradient checkpointing cannot run under DP (Opacus records each activation once); set train.gradient_checkpointing: false")
    if config.merge and method == "prefix":
        raise ApplianceError("prefix tuning adds virtual tokens, not weights: it cannot be merged; drop --merge or use --method lora")
    if method == "prefix" and task == "completion" and config.packing:
        raise ApplianceError("prefix tuning cannot train packed rows (its virtual tokens are a cache, which turns packing off); set train.packing: false")
    if config.load_in_4bit:
        if not cuda:
            raise ApplianceError("load_in_4bit needs a CUDA GPU and bitsandbytes; this machine has no CUDA device: set train.load_in_4bit: false")
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise ApplianceError(f"load_in_4bit needs bitsandbytes: pip install '{BITSANDBYTES_PIN}'") from None
        if method == "full":
            raise ApplianceError("a 4-bit base cannot be fully fine-tuned; use --method lora with load_in_4bit")


def check_full_size(total_parameters: int) -> None:
    if total_parameters > FULL_FINETUNE_MAX_PARAMETERS:
        raise ApplianceError(
            f"full fine-tuning is limited to {FULL_FINETUNE_MAX_PARAMETERS // 1_000_000}M parameters "
            f"(this model has {total_parameters // 1_000_000}M); use --method lora"
        )


def build_lora_model(
    model, *, r: int, alpha: int, dropout: float, target_modules: list[str] | str, rslora: bool = False, dora: bool = False
):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules, task_type="CAUSAL_LM",
        use_rslora=rslora, use_dora=dora,
    )
    return get_peft_model(model, config)


def build_trainable_model(base, config: TrainConfig):
    """The model whose trainable parameters the optimizer updates (a peft model, or `base` itself)."""
    if config.gradient_checkpointing:
        # Non-reentrant checkpointing works with frozen inputs (peft) and needs no input grads.
        kwargs = {"use_reentrant": False}
        if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5.x's name for it
            base.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    if config.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=config.gradient_checkpointing)
    model_type = base.config.model_type
    if config.method == "full":
        check_full_size(sum(p.numel() for p in base.parameters()))
        for p in base.parameters():
            p.requires_grad_(True)
        return base
    if config.method == "prefix":
        from peft import PrefixTuningConfig, get_peft_model

        return get_peft_model(base, PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=PREFIX_VIRTUAL_TOKENS))
    if config.method == "ia3":
        from peft import IA3Config, get_peft_model

        if model_type not in IA3_TARGETS and config.target_modules is None:
            raise ApplianceError(f"no default IA3 modules for architecture {model_type}; name them in train.target_modules")
        targets, feedforward = IA3_TARGETS.get(model_type, (tuple(config.target_modules or ()), ()))
        return get_peft_model(base, IA3Config(task_type="CAUSAL_LM", target_modules=list(targets), feedforward_modules=list(feedforward)))
    return build_lora_model(
        base, r=config.lora_r, alpha=config.lora_alpha, dropout=config.lora_dropout,
        target_modules=lora_targets(model_type, config.target_modules), rslora=config.use_rslora, dora=config.use_dora,
    )


def trainable_snapshot(model) -> dict[str, torch.Tensor]:
    """A copy of every trainable parameter: to keep the best weights, or to see that training changed them."""
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def restore_snapshot(model, snapshot: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in snapshot.items():
            params[name].copy_(tensor)
