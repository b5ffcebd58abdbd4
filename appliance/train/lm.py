"""Load a causal language model and its tokenizer from a local folder, safetensors only."""

from __future__ import annotations

from pathlib import Path

import torch

from appliance.errors import ApplianceError

# Weight files that unpickle arbitrary code when loaded; we never read them.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def pick_device() -> torch.device:
    """The first CUDA device when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_tokenizer(model_dir: Path):
    """The model folder's own tokenizer (and chat template), never fetched, never custom code."""
    from transformers import AutoTokenizer

    model_dir = Path(model_dir)
    if not (model_dir / "tokenizer_config.json").is_file() and not (model_dir / "tokenizer.json").is_file():
        raise ApplianceError(f"{model_dir}: no tokenizer files; provision the base model folder again")
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True, trust_remote_code=False)
    if tokenizer.pad_token_id is None:
        # Padding is always masked out of the loss and attention, so any known token will do.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def check_safetensors(model_dir: Path) -> None:
    """Refuse a folder whose weights are only pickles: loading those can run arbitrary code."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ApplianceError(f"{model_dir}: model folder not found; provision the base model first")
    if any(model_dir.glob("*.safetensors")):
        return
    pickles = sorted(p.name for p in model_dir.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise ApplianceError(
            f"{model_dir}: weights are pickle files ({', '.join(pickles)}), which can run code when loaded; "
            "convert them to safetensors on a trusted machine and provision the converted folder"
        )
    raise ApplianceError(f"{model_dir}: no *.safetensors weights; provision the base model folder again")


def load_causal_lm(model_dir: Path, device: torch.device | None = None, *, load_in_4bit: bool = False, dtype: torch.dtype = torch.float32):
    """The model in `dtype` (float32 unless asked) on `device` (default: pick_device()), from safetensors, without remote code.

    load_in_4bit: NF4 base weights through bitsandbytes (CUDA only; check_method refuses it elsewhere),
    compute in bfloat16; the trainable adapter stays in float32.
    """
    from transformers import AutoModelForCausalLM

    check_safetensors(model_dir)
    options = {}
    if load_in_4bit:
        from transformers import BitsAndBytesConfig

        options["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16
        )
        options["device_map"] = {"": (device or pick_device()).index or 0}
    model = AutoModelForCausalLM.from_pretrained(
        Path(model_dir),
        local_files_only=True,
        trust_remote_code=False,
        use_safetensors=True,
        dtype=dtype,
        **options,
    )
    return model if load_in_4bit else model.to(device or pick_device())


def tiny_llama(tokenizer, *, seed: int = 0, **overrides):
    """A randomly initialised 2-layer Llama (width 64, tied embeddings) in memory, for tests.

    Vocabulary and special tokens come from `tokenizer`; `overrides` are LlamaConfig fields that
    differ (a larger initializer_range so the model can memorise, say).
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    settings = {
        "vocab_size": len(tokenizer), "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 128, "max_position_embeddings": 2048, "tie_word_embeddings": True,
        "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id,
    }
    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(**{**settings, **overrides}))


def build_tiny_model(out_dir: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    """tiny_llama with `tokenizer_dir`'s tokenizer (and chat template), saved as a model folder, for tests.

    Example: build_tiny_model(tmp / "tiny", tokenizer_dir=smollm2_dir)
    """
    out_dir = Path(out_dir)
    tokenizer = load_tokenizer(tokenizer_dir)
    model = tiny_llama(tokenizer, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)  # transformers 5 always writes safetensors
    tokenizer.save_pretrained(out_dir)  # includes the chat template
    return out_dir
