"""Training throughput: a hand-written peft LoRA loop vs appliance's trainer, in one process.

All variants train the same LoRA (same model, records, batch size and step count) and are timed
per step after warm-up steps. The trainer packs several examples per row without DP (whole
conversations for --task instruction, documents cut to full rows for --task completion; see
appliance/train/packing.py). Per batch it then carries more real tokens, so its token budget
per step is larger: compare tokens per second, not steps. DP-SGD packs a Poisson batch only with
per-example gradients (appliance/train/unit_packing.py: each example still clipped alone), and
the DP overhead is measured against the trainer with packing off (one example per row,
length-grouped); --dp-rows adds DP as it ran before unit_packing (micro-batches, Opacus' einsum), interleaved. Reported per variant: real
(non-padding) tokens per second, the padding share, peak memory, and MFU against a matmul peak
measured here in the training dtype (--precision). FLOPs per real token are taken as 4 x parameters
(forward + input gradients; LoRA's own weight gradients are negligible), attention ignored.
--rounds N repeats the variants in turn (A B C D A B C D ...) so that a changing machine load
falls on all of them alike; tokens and seconds are summed over rounds. On a shared, loaded
machine --clock cpu --threads 1 times steps by process CPU time instead of wall time.
The trainer's variants are timed from one step's end to the next, so everything a real run pays
per step counts: batch drawing, micro-batching and, under DP, the accountant's per-step epsilon
with the accountant a run uses by default (PRV; --accountant rdp for the other).

    python scripts/bench_train.py --threads 2 --batch-size 4 --max-seq-len 128 --steps 6
    python scripts/bench_train.py --task completion --steps 6 --batch-size 4 --max-seq-len 128
    python scripts/bench_train.py --model /path/to/hf-folder --steps 40 --no-dp
    python scripts/bench_train.py --dp-only --rounds 2 --clock cpu --threads 1 --batch-size 4 --max-seq-len 128 --steps 8
    python scripts/bench_train.py --dp-only --dp-rows --rounds 2 --threads 2 --batch-size 4 --max-seq-len 128 --steps 8
    python scripts/bench_train.py --split-cost --threads 2 --max-seq-len 128
"""

from __future__ import annotations

import argparse
import os
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

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
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


def matmul_peak(device: torch.device, size: int, clock=time.perf_counter, dtype: torch.dtype = torch.float32) -> float:
    """Best of a few matrix products in `dtype`, in FLOP/s (timed by `clock`, like the variants)."""
    a, b = torch.randn(size, size, device=device, dtype=dtype), torch.randn(size, size, device=device, dtype=dtype)
    best = 0.0
    for _ in range(5):
        sync(device)
        started = clock()
        a @ b
        sync(device)
        best = max(best, 2 * size**3 / max(clock() - started, 1e-9))
    return best


def plain_peft_loop(model_dir: Path, records, args, device) -> dict:
    """What a user would write: chat template, pad every batch to max_length, random order."""
    tokenizer = load_tokenizer(model_dir)
    if args.task == "completion":
        texts = [r.text for r in records]
    else:
        texts = [tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in r.messages], tokenize=False) for r in records]
    base = load_causal_lm(model_dir, device, dtype=DTYPES[args.precision])  # as a user would load it: torch_dtype=...
    model = build_lora_model(base, r=8, alpha=16, dropout=0.0, target_modules=lora_targets("llama", None))
    optimizer = build_optimizer(model, learning_rate=3e-4, weight_decay=0.0)
    model.train()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    rng = random.Random(0)
    tokens = padded = 0
    seconds = 0.0
    for step in range(args.steps):
        sync(device)
        started = clock()  # batch preparation counts, as it does in the appliance trainer's steps
        batch = tokenizer(rng.sample(texts, args.batch_size), padding="max_length", truncation=True, max_length=args.max_seq_len, return_tensors="pt").to(device)
        labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
        loss = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
        sync(device)
        if step >= args.warmup:
            seconds += clock() - started
            tokens += int(batch.attention_mask.sum())
            padded += batch.input_ids.numel()
    return {"tokens": tokens, "seconds": seconds, "padding": 1 - tokens / padded, "steps": args.steps}


def appliance_trainer(model_dir: Path, records, args, device, *, dp: bool, packing: bool = True, dp_rows_only: bool = False) -> dict:
    """The trainer's real tokens and seconds.

    dp_rows_only: DP as it ran before unit_packing: one example per row in length-sorted
    micro-batches, per-example gradients by Opacus' own einsum.
    """
    from appliance.train import unit_packing

    if dp_rows_only:
        install = unit_packing.install_unit_gradients
        unit_packing.install_unit_gradients = lambda model: None  # the trainer then neither packs nor replaces Opacus' sampler
        try:
            return appliance_trainer(model_dir, records, args, device, dp=dp, packing=packing)
        finally:
            unit_packing.install_unit_gradients = install

    config = TrainConfig(
        max_steps=args.steps, batch_size=args.batch_size, max_seq_len=args.max_seq_len, checkpoint_every=0, dp=dp, accountant=args.accountant, packing=packing,
        precision=args.precision,
    )
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    events: list[dict] = []
    marks: list[float] = []  # the clock at the end of each step

    def on_step(event: dict) -> None:
        sync(device)
        marks.append(clock())
        events.append(event)

    with tempfile.TemporaryDirectory() as out:
        train_lora(model_dir, records, config, Path(out) / "adapter", task=args.task, delta=1e-5 if dp else None, on_step=on_step)
    # From the end of the last untimed step to the end of the last step: whatever the loop does
    # between steps counts (under DP, the accountant's epsilon before each step), not only the
    # forward and backward passes that the trainer's own tokens_per_s times.
    tokens = sum(e["tokens"] for e in events[args.warmup :])
    return {"tokens": tokens, "seconds": marks[-1] - marks[args.warmup - 1], "padding": None, "steps": len(events)}


def layout_padding(examples, args) -> dict[str, float]:
    """The padding share of each batch layout on these examples, from lengths alone (no model).

    It bounds what layout can buy: a trainer with padding p against a loop with padding P can be
    at most (1 - p) / (1 - P) times faster per real token at equal cost per padded token.
    """
    from appliance.train import privacy
    from appliance.train.data import length_grouped_batches
    from appliance.train.packing import pack_examples, pack_whole_examples

    def padded_share(batches: list[list[int]]) -> float:
        real = sum(n for batch in batches for n in batch)
        return 1 - real / sum(len(batch) * max(batch) for batch in batches)

    lengths = [len(e.input_ids) for e in examples]
    rng = random.Random(0)
    rows = (pack_examples if args.task == "completion" else pack_whole_examples)(examples, args.max_seq_len)
    row_lengths = [len(row.input_ids) for row in rows]
    shares = {
        "plain loop (max_length)": 1 - sum(lengths) / (len(lengths) * args.max_seq_len),
        "packed rows": padded_share([[row_lengths[i] for i in b] for b in length_grouped_batches(row_lengths, args.batch_size, rng)]),
        "one example per row": padded_share([[lengths[i] for i in b] for b in length_grouped_batches(lengths, args.batch_size, rng)]),
    }
    from appliance.train import unit_packing

    generator = torch.Generator().manual_seed(0)
    whole, micro, passes, steps = [], [], 0, 500
    packed_real = packed_padded = packed_passes = 0
    for _ in range(steps):
        drawn = (torch.rand(len(lengths), generator=generator) < args.batch_size / len(lengths)).nonzero().flatten().tolist()
        if not drawn:
            continue
        whole.append([lengths[i] for i in drawn])
        mask = torch.zeros((len(drawn), max(whole[-1])), dtype=torch.long)
        for row, i in enumerate(drawn):
            mask[row, : lengths[i]] = 1
        for part in privacy.physical_batches({"input_ids": mask, "attention_mask": mask}, split_cost_tokens=privacy.SPLIT_COST_TOKENS["cpu"]):
            micro.append(part["attention_mask"].sum(dim=1).tolist())
            passes += 1
        layout = unit_packing.dp_layout(
            {"input_ids": mask, "attention_mask": mask, "labels": mask},
            split_cost_tokens=privacy.SPLIT_COST_TOKENS["cpu"], attention_tokens=unit_packing.ATTENTION_TOKENS["cpu"],
        )
        packed_real += sum(int(part["attention_mask"].sum()) for part in layout)
        packed_padded += sum(part["input_ids"].numel() for part in layout)
        packed_passes += len(layout)
    shares["DP Poisson, one tensor"] = padded_share(whole)
    shares[f"DP Poisson, micro-batched ({passes / steps:.1f} passes a step)"] = padded_share(micro)
    shares[f"DP Poisson, unit-packed on CPU ({packed_passes / steps:.1f} passes a step)"] = 1 - packed_real / packed_padded
    return shares


def split_cost(model_dir: Path, examples, args, device, *, pad_id: int) -> None:
    """What one more DP micro-batch costs, in padded tokens: privacy.SPLIT_COST_TOKENS measured here.

    One DP step over 4 rows as one pass, then as 4 single-row passes (same tokens, same clipping
    and noise); the difference over 3 extra passes, divided by the one-pass cost per token.
    """
    from appliance.train import privacy
    from appliance.train.data import collate
    from appliance.train.loop import build_trainable_model, private_step

    config = TrainConfig(max_steps=100, batch_size=4, max_seq_len=args.max_seq_len, dp=True, accountant="rdp", precision=args.precision)
    model = build_trainable_model(load_causal_lm(model_dir, device), config)
    optimizer = build_optimizer(model, learning_rate=1e-4, weight_decay=0.0)
    model, optimizer, _, _ = privacy.make_private(model, optimizer, examples, pad_id=pad_id, config=config, delta=1e-5, steps=100, device=device)
    model.train()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    for length in (32, 96):
        rows = [e for e in examples if len(e.input_ids) >= length][:4]
        whole = {key: value[:, :length].to(device) for key, value in collate(rows, pad_id).items()}
        layouts = {"one": [whole], "four": [{key: value[i : i + 1] for key, value in whole.items()} for i in range(4)]}
        times: dict[str, list[float]] = {"one": [], "four": []}
        private_step(model, optimizer, layouts["one"])  # warm-up
        for _ in range(max(3, args.rounds)):
            for name, micro in layouts.items():  # interleaved
                sync(device)
                started = clock()
                private_step(model, optimizer, micro)
                sync(device)
                times[name].append(clock() - started)
        one, four = (sorted(times[name])[len(times[name]) // 2] for name in ("one", "four"))
        tokens = (four - one) / 3 / (one / (4 * length))
        print(f"4 rows x {length} tokens: one pass {one:.3f}s, four passes {four:.3f}s: one more pass costs {tokens:.0f} tokens "
              f"(SPLIT_COST_TOKENS[{device.type!r}] is {privacy.SPLIT_COST_TOKENS.get(device.type)})")


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
    parser.add_argument("--split-cost", action="store_true", help="only measure what one more DP micro-batch costs (privacy.SPLIT_COST_TOKENS)")
    parser.add_argument("--dp-only", action="store_true", help="only the two variants the DP overhead compares (one example per row, DP)")
    parser.add_argument(
        "--dp-rows", action="store_true",
        help="also run DP as before unit_packing (micro-batches, Opacus' einsum), interleaved, and print both overheads",
    )
    parser.add_argument("--accountant", choices=["prv", "rdp"], default="prv", help="the DP variant's accountant (prv: a run's default)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--precision", choices=sorted(DTYPES), default="fp32",
        help="bf16: base weights in bfloat16 for the plain loop and the trainer alike (GPUs; adapters stay float32)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat the variants in turn, summing tokens and seconds")
    parser.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall",
        help="cpu: time steps by process CPU time, which a loaded machine disturbs far less (use with --threads 1)",
    )
    args = parser.parse_args()
    if args.warmup < 1:
        parser.error("the trainer's steps are timed from the previous step's end: use --warmup 1 or more")
    if args.dp_only and args.no_dp:
        parser.error("--dp-only and --no-dp leave nothing to measure")
    if args.dp_rows and args.no_dp:
        parser.error("--dp-rows compares DP layouts: drop --no-dp")
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
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    peak = matmul_peak(device, 8192 if device.type == "cuda" else 1024, clock, DTYPES[args.precision])
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {name}  threads {torch.get_num_threads()}  clock {args.clock}  load average {os.getloadavg()[0]:.1f}  model {model_dir.name} ({parameters / 1e6:.0f}M params, {args.precision})")
    print(f"task {args.task}  records {len(records)}  mean length {mean_len:.0f} tokens  max_seq_len {args.max_seq_len}  batch {args.batch_size}  steps {args.steps} (first {args.warmup} untimed)  DP accountant {args.accountant}")
    print(f"measured {args.precision} matmul peak {peak / 1e12:.2f} TFLOP/s")
    if args.split_cost:
        split_cost(model_dir, examples, args, device, pad_id=tokenizer.pad_token_id)
        return
    print("padding share by batch layout on this data: " + ", ".join(f"{name} {share:.0%}" for name, share in layout_padding(examples, args).items()))

    plain, packed, unpacked, private, private_rows = (
        "plain peft loop, padded to max_length",
        "appliance trainer, packed",
        "appliance trainer, one example per row",
        "appliance trainer, DP-SGD (Poisson)",
        "appliance trainer, DP-SGD as before",
    )
    variants = {} if args.dp_only else {
        plain: lambda: plain_peft_loop(model_dir, records, args, device),
        packed: lambda: appliance_trainer(model_dir, records, args, device, dp=False),
    }
    if not args.no_dp:
        variants[unpacked] = lambda: appliance_trainer(model_dir, records, args, device, dp=False, packing=False)
        variants[private] = lambda: appliance_trainer(model_dir, records, args, device, dp=True)
        if args.dp_rows:
            variants[private_rows] = lambda: appliance_trainer(model_dir, records, args, device, dp=True, dp_rows_only=True)
    totals: dict[str, dict] = {}
    for round_ in range(args.rounds):
        for name, run in variants.items():
            reset_memory(device)
            result = run()
            total = totals.setdefault(name, {"tokens": 0, "seconds": 0.0, "padding": []})
            total["tokens"] += result["tokens"]
            total["seconds"] += result["seconds"]
            total["padding"].append(result["padding"])
            total["memory"] = peak_memory_gib(device)
            if args.rounds > 1:
                print(f"  round {round_ + 1}: {name:<40} {result['tokens'] / result['seconds']:>9.0f} real tok/s", flush=True)
    rates = {}
    for name, total in totals.items():
        rates[name] = total["tokens"] / total["seconds"]
        mfu = rates[name] * 4 * parameters / peak
        padding = "" if total["padding"][0] is None else f"  padding {sum(total['padding']) / len(total['padding']):.0%}"
        print(f"{name:<40} {rates[name]:>9.0f} real tok/s  MFU {mfu:.1%}  peak mem {total['memory']:.2f} GiB{padding}")
    if not args.dp_only:
        print(f"ratio packed trainer / plain loop: {rates[packed] / rates[plain]:.2f}x  (target >= 2x)")
    if not args.no_dp:
        print(f"DP overhead (one example per row, non-DP / DP tokens per second): {rates[unpacked] / rates[private]:.2f}x  (target <= 1.3x)")
        if args.dp_rows:
            print(f"DP overhead as before (micro-batches, Opacus' einsum): {rates[unpacked] / rates[private_rows]:.2f}x; "
                  f"unit_packing speeds DP up {rates[private] / rates[private_rows]:.2f}x")
    if not (args.no_dp or args.dp_only):
        print(f"ratio one-example-per-row trainer / plain loop: {rates[unpacked] / rates[plain]:.2f}x")
        print(f"packed non-DP / DP tokens per second: {rates[packed] / rates[private]:.2f}x  (what DP costs a user who would otherwise pack)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if device.type == "cpu":
        print("peak mem on CPU is the process high-water mark (ru_maxrss), so it only grows across variants")


if __name__ == "__main__":
    main()
