"""Training throughput: a hand-written peft LoRA loop vs appliance's trainer, in one process.

Both train the same LoRA (same model, records, batch size and step count) and are timed per
step after warm-up steps. --task instruction uses chats (the trainer groups by length);
--task completion uses plain documents (the trainer packs them into full rows, see
appliance/train/packing.py). Per batch the trainer carries more real tokens, so its token
budget per step is larger: compare tokens per second, not steps. Reported per variant: real
(non-padding) tokens per second, the padding share, peak memory, and MFU against a matmul peak
measured here in the model's dtype (float32). FLOPs per real token are taken as 4 x parameters
(forward + input gradients; LoRA's own weight gradients are negligible), attention ignored.

    python scripts/bench_train.py --steps 12 --batch-size 8 --max-seq-len 256
    python scripts/bench_train.py --task completion --steps 6 --batch-size 4 --max-seq-len 128
    python scripts/bench_train.py --model /path/to/hf-folder --steps 40 --no-dp
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

import torch

from appliance.config import TrainConfig
from appliance.records import Message, Record, Source
from appliance.train.data import encode_for_task
from appliance.train.lm import load_causal_lm, load_tokenizer, pick_device
from appliance.train.loop import build_lora_model, build_optimizer, lora_targets, train_lora

WORDS = "account balance branch card loan rate payment transfer statement deposit fee credit limit savings".split()


def synthetic_records(count: int, seed: int) -> list[Record]:
    """Chats whose answers vary from a few words to a few hundred, like real support transcripts."""
    rng = random.Random(seed)
    source = Source(path="bench.jsonl", sha256="0" * 64)
    records = []
    for i in range(count):
        answer = " ".join(rng.choice(WORDS) for _ in range(int(2 ** rng.uniform(2, 8))))
        question = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 20)))
        records.append(Record(f"b{i}", "chat", source, messages=(Message("user", question + "?"), Message("assistant", answer))))
    return records


def synthetic_documents(count: int, seed: int) -> list[Record]:
    """Plain documents (policies, notes) from a sentence to a few pages: domain-adaptation text."""
    rng = random.Random(seed)
    source = Source(path="bench.txt", sha256="0" * 64)
    return [
        Record(f"d{i}", "document", source, text=" ".join(rng.choice(WORDS) for _ in range(int(2 ** rng.uniform(3, 9)))) + ".")
        for i in range(count)
    ]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def reset_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_memory_gib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # process-wide high-water mark


def matmul_peak(device: torch.device, size: int) -> float:
    """Best of a few float32 matrix products, in FLOP/s."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    best = 0.0
    for _ in range(5):
        sync(device)
        started = time.perf_counter()
        a @ b
        sync(device)
        best = max(best, 2 * size**3 / (time.perf_counter() - started))
    return best


def plain_peft_loop(model_dir: Path, records, args, device) -> dict:
    """What a user would write: chat template, pad every batch to max_length, random order."""
    tokenizer = load_tokenizer(model_dir)
    if args.task == "completion":
        texts = [r.text for r in records]
    else:
        texts = [tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in r.messages], tokenize=False) for r in records]
    model = build_lora_model(load_causal_lm(model_dir, device), r=8, alpha=16, dropout=0.0, target_modules=lora_targets("llama", None))
    optimizer = build_optimizer(model, learning_rate=3e-4, weight_decay=0.0)
    model.train()
    rng = random.Random(0)
    tokens = padded = 0
    seconds = 0.0
    for step in range(args.steps):
        sync(device)
        started = time.perf_counter()  # batch preparation counts, as it does in the appliance trainer's steps
        batch = tokenizer(rng.sample(texts, args.batch_size), padding="max_length", truncation=True, max_length=args.max_seq_len, return_tensors="pt").to(device)
        labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
        loss = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
        sync(device)
        if step >= args.warmup:
            seconds += time.perf_counter() - started
            tokens += int(batch.attention_mask.sum())
            padded += batch.input_ids.numel()
    return {"tokens_per_s": tokens / seconds, "padding": 1 - tokens / padded, "steps": args.steps}


def appliance_trainer(model_dir: Path, records, args, device, *, dp: bool) -> dict:
    config = TrainConfig(max_steps=args.steps, batch_size=args.batch_size, max_seq_len=args.max_seq_len, checkpoint_every=0, dp=dp, accountant="rdp")
    events: list[dict] = []
    with tempfile.TemporaryDirectory() as out:
        train_lora(model_dir, records, config, Path(out) / "adapter", task=args.task, delta=1e-5 if dp else None, on_step=events.append)
    timed = events[args.warmup :]
    tokens = sum(e["tokens"] for e in timed)
    seconds = sum(e["tokens"] / e["tokens_per_s"] for e in timed if e["tokens"])
    return {"tokens_per_s": tokens / seconds, "padding": None, "steps": len(events)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="HF folder; default: the registry's smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-seq-len", type=int, default=256)
    parser.add_argument("--records", type=int, default=512)
    parser.add_argument("--task", choices=["instruction", "completion"], default="instruction")
    parser.add_argument("--no-dp", action="store_true", help="skip the DP-SGD variant")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model is None:
        from appliance.models import resolve_base_model

        model_dir = resolve_base_model("smollm2-135m-instruct").path
    else:
        model_dir = Path(args.model)
    device = pick_device()
    records = (synthetic_documents if args.task == "completion" else synthetic_records)(args.records, seed=0)
    tokenizer = load_tokenizer(model_dir)
    examples = encode_for_task(records, tokenizer, args.max_seq_len, task=args.task)
    mean_len = sum(len(e.input_ids) for e in examples) / len(examples)
    parameters = sum(p.numel() for p in load_causal_lm(model_dir, torch.device("cpu")).parameters())
    peak = matmul_peak(device, 8192 if device.type == "cuda" else 1024)
    print(f"device {device.type}  threads {torch.get_num_threads()}  model {model_dir.name} ({parameters / 1e6:.0f}M params, float32)")
    print(f"task {args.task}  records {len(records)}  mean length {mean_len:.0f} tokens  max_seq_len {args.max_seq_len}  batch {args.batch_size}  steps {args.steps} (first {args.warmup} untimed)")
    print(f"measured float32 matmul peak {peak / 1e12:.2f} TFLOP/s")

    variants = [("plain peft loop, padded to max_length", lambda: plain_peft_loop(model_dir, records, args, device))]
    trainer = "packed" if args.task == "completion" else "length-grouped"
    variants.append((f"appliance trainer ({trainer})", lambda: appliance_trainer(model_dir, records, args, device, dp=False)))
    if not args.no_dp:
        variants.append(("appliance trainer, DP-SGD (Poisson)", lambda: appliance_trainer(model_dir, records, args, device, dp=True)))
    results = {}
    for name, run in variants:
        reset_memory(device)
        result = run()
        result["memory"] = peak_memory_gib(device)
        result["mfu"] = result["tokens_per_s"] * 4 * parameters / peak
        results[name] = result
        padding = "" if result["padding"] is None else f"  padding {result['padding']:.0%}"
        print(f"{name:<40} {result['tokens_per_s']:>9.0f} real tok/s  MFU {result['mfu']:.1%}  peak mem {result['memory']:.2f} GiB{padding}")
    names = list(results)
    base = results[names[0]]["tokens_per_s"]
    for name in names[1:]:
        print(f"ratio {name} / plain: {results[name]['tokens_per_s'] / base:.2f}x  (target >= 2x for the non-DP trainer)")
    if len(names) == 3:
        overhead = results[names[1]]["tokens_per_s"] / results[names[2]]["tokens_per_s"]
        print(f"DP overhead (non-DP / DP tokens per second): {overhead:.2f}x  (target <= 1.3x)")
    if device.type == "cpu":
        print("peak mem on CPU is the process high-water mark (ru_maxrss), so it only grows across variants")


if __name__ == "__main__":
    main()
