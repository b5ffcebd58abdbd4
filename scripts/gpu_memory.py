"""GPU memory of LoRA training on a 7B-class Llama: 4-bit base (bitsandbytes NF4) and gradient checkpointing.

Backs the README's claim that a 7B model's LoRA fits a 24 GB GPU. The weights are random (the
shape, not the values, decides memory), written once as bf16 safetensors shards, then trained
through the appliance trainer itself (`train_lora`, completion task, rows packed full) for a few
steps; the peak is torch's allocator high-water mark for the whole run (load, train, save).

    python scripts/gpu_memory.py --tokenizer PATH/TO/smollm2 --work /tmp/llama7b --seq 1024 --batch 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch

from appliance.config import TrainConfig
from appliance.train.loop import train_lora

# Llama-2-7B's shape (vocabulary from the tokenizer given).
SHAPE_7B = {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32}
SHARD_BYTES = 2 * 2**30
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json")


def write_random_model(folder: Path, tokenizer_dir: Path, shape: dict) -> int:
    """A randomly initialised Llama of `shape` with `tokenizer_dir`'s tokenizer, as sharded bf16 safetensors; returns parameters."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(vocab_size=len(tokenizer), tie_word_embeddings=False, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, **shape)
    with torch.device("meta"):
        shapes = {name: tensor.shape for name, tensor in LlamaForCausalLM(config).state_dict().items()}
    folder.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(folder)
    for name in TOKENIZER_FILES:
        if (tokenizer_dir / name).is_file():
            shutil.copy(tokenizer_dir / name, folder / name)
    weight_map, shard, size, total, index = {}, {}, 0, 0, 0
    generator = torch.Generator(device="cuda").manual_seed(0)

    def flush() -> None:
        nonlocal shard, size, index
        if shard:
            file = f"model-{index:05d}.safetensors"
            save_file(shard, folder / file, metadata={"format": "pt"})
            weight_map.update(dict.fromkeys(shard, file))
            shard, size, index = {}, 0, index + 1

    for name, tensor_shape in shapes.items():
        if name.endswith("norm.weight"):
            tensor = torch.ones(tensor_shape, dtype=torch.bfloat16)
        else:
            tensor = (torch.randn(tensor_shape, generator=generator, device="cuda", dtype=torch.bfloat16) * 0.02).cpu()
        shard[name], size, total = tensor, size + tensor.numel() * 2, total + tensor.numel()
        if size >= SHARD_BYTES:
            flush()
    flush()
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total * 2}, "weight_map": weight_map}))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", type=Path, required=True, help="a folder with the tokenizer files (e.g. SmolLM2's)")
    parser.add_argument("--work", type=Path, default=None, help="where the random model is written (default: a temp folder)")
    parser.add_argument("--seq", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("needs a CUDA GPU (4-bit weights are a bitsandbytes CUDA feature)")
    from bench_train import synthetic_documents

    work = args.work or Path(tempfile.mkdtemp(prefix="llama7b-"))
    started = time.perf_counter()
    parameters = write_random_model(work / "model", args.tokenizer, SHAPE_7B)
    print(f"random 7B-class Llama: {parameters / 1e9:.2f}B parameters written in {time.perf_counter() - started:.0f} s")
    config = TrainConfig(
        max_steps=args.steps, batch_size=args.batch, max_seq_len=args.seq, warmup_steps=0, checkpoint_every=0,
        load_in_4bit=True, gradient_checkpointing=True,
    )
    torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    result = train_lora(work / "model", synthetic_documents(64 * args.batch, seed=0), config, work / "adapter", task="completion")
    seconds = time.perf_counter() - started
    tokens = sum(event["tokens"] for event in result.history)
    print(f"4-bit base + LoRA r{config.lora_r} + gradient checkpointing, seq {args.seq} x batch {args.batch}: {result.steps} steps, {tokens} tokens, "
          f"loss {result.first_loss:.3f} -> {result.last_loss:.3f}, {seconds:.0f} s with load and save")
    print(f"peak GPU memory allocated {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB, reserved {torch.cuda.max_memory_reserved() / 2**30:.2f} GiB "
          f"(a 24 GB card holds 22.4 GiB); trainable parameters {result.trainable_parameters:,}; precision {result.details['precision_detail']}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
