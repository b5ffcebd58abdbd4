"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is a folder `step-N/` written to a temporary sibling and renamed into place, so a
folder with that name is always complete. Tensors go to safetensors and the rest to JSON: no
pickle is ever written or read.

- weights.safetensors: the trainable parameters (the LoRA matrices, or the whole model).
- optimizer.safetensors + state.json["optimizer_groups"]: the optimizer's moments and groups.
- rng.safetensors + state.json["python_rng"]: torch (CPU and CUDA) and Python RNG states.
- state.json: step, scheduler, data position, the DP accountant's history, early stopping, and the metrics so far.
- best.safetensors (with early stopping): the trainable weights of the best validation loss so far.

Under DP the Poisson-sampling and noise generators are deliberately *not* saved: their state
would let anyone holding the checkpoint replay the noise. A resumed DP run draws fresh secret
randomness; the accountant's history continues, so epsilon keeps accumulating.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from appliance.errors import ApplianceError
from appliance.train.methods import restore_snapshot

STEP_FOLDER = re.compile(r"step-(\d+)")


def trainable_state(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().cpu().contiguous() for name, p in model.named_parameters() if p.requires_grad}


def optimizer_tensors(optimizer) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    state = optimizer.state_dict()
    tensors = {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if not isinstance(value, torch.Tensor):
                raise ApplianceError(f"optimizer state '{key}' is not a tensor; cannot checkpoint it without pickle")
            tensors[f"{index}.{key}"] = value.detach().cpu().contiguous()
    return tensors, state["param_groups"]


def rng_tensors() -> dict[str, torch.Tensor]:
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors.update({f"cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    return tensors


def save_checkpoint(
    folder: Path, step: int, *, model, optimizer, scheduler, state: dict[str, Any], keep: int = 2,
    best_weights: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write step-N/ atomically under `folder` and keep only the newest `keep` checkpoints."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"step-{step}"
    staging = Path(tempfile.mkdtemp(prefix=f".step-{step}.", dir=folder))
    try:
        save_file(trainable_state(model), staging / "weights.safetensors")
        moments, groups = optimizer_tensors(optimizer)
        save_file(moments, staging / "optimizer.safetensors")
        save_file(rng_tensors(), staging / "rng.safetensors")
        if best_weights is not None:
            save_file({k: v.detach().cpu().contiguous() for k, v in best_weights.items()}, staging / "best.safetensors")
        scheduler_state = {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"}
        version, internal, gauss = random.getstate()
        document = {
            **state,
            "step": step,
            "optimizer_groups": groups,
            "scheduler": scheduler_state,
            "python_rng": [version, list(internal), gauss],
        }
        (staging / "state.json").write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for old in checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints, oldest first (half-written ones are hidden temporary folders)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and STEP_FOLDER.fullmatch(p.name) and (p / "state.json").is_file()]
    return sorted(found, key=lambda p: int(STEP_FOLDER.fullmatch(p.name).group(1)))


def latest_checkpoint(folder: Path) -> Path | None:
    found = checkpoints(folder)
    return found[-1] if found else None


def load_checkpoint(path: Path, *, model, optimizer, scheduler, fingerprint: str) -> dict[str, Any]:
    """Restore weights, optimizer, scheduler and RNGs in place; return the rest of state.json."""
    path = Path(path)
    state = json.loads((path / "state.json").read_text(encoding="utf-8"))
    if state.get("fingerprint") != fingerprint:
        raise ApplianceError(
            f"{path}: checkpoint was made with other training settings or data; "
            "train without --resume to start again"
        )
    weights = load_file(path / "weights.safetensors")
    params = dict(model.named_parameters())
    missing = set(weights) ^ {name for name, p in params.items() if p.requires_grad}
    if missing:
        raise ApplianceError(f"{path}: checkpoint weights do not match the model ({len(missing)} names differ)")
    restore_snapshot(model, weights)

    moments = load_file(path / "optimizer.safetensors")
    optimizer_state: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in moments.items():
        index, name = key.split(".", 1)
        optimizer_state.setdefault(int(index), {})[name] = tensor
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in state.pop("optimizer_groups")]
    optimizer.load_state_dict({"state": optimizer_state, "param_groups": groups})
    scheduler.load_state_dict({**scheduler.state_dict(), **state.pop("scheduler")})

    rng = load_file(path / "rng.safetensors")
    torch.set_rng_state(rng["torch"])
    if torch.cuda.is_available():
        cuda = [rng[f"cuda.{i}"] for i in range(torch.cuda.device_count()) if f"cuda.{i}" in rng]
        if cuda:
            torch.cuda.set_rng_state_all(cuda)
    version, internal, gauss = state.pop("python_rng")
    random.setstate((version, tuple(internal), gauss))
    if (path / "best.safetensors").is_file():
        device = next(model.parameters()).device
        state["best_weights"] = {k: v.to(device) for k, v in load_file(path / "best.safetensors").items()}
    return state


def is_peft_model(model) -> bool:
    return hasattr(model, "peft_config")


def save_adapter(model, tokenizer, out_dir: Path) -> None:
    """Write adapter (safetensors) and tokenizer to a temporary sibling, then swap it into place.

    A fully fine-tuned model (method full) has no adapter: the whole model is written instead.
    """
    def write(staging: Path) -> None:
        if is_peft_model(model):
            model.save_pretrained(staging, safe_serialization=True, save_embedding_layers=False)
        else:
            model.save_pretrained(staging)  # transformers 5 always writes safetensors
        tokenizer.save_pretrained(staging)

    replace_folder(Path(out_dir), write)


def save_merged(model, tokenizer, out_dir: Path) -> None:
    """The base model with the adapter folded into its weights (safetensors + tokenizer), for serving without peft.

    Merging changes the model in place: call it after the adapter has been saved.
    """
    def write(staging: Path) -> None:
        merged = model.merge_and_unload() if is_peft_model(model) else model
        merged.save_pretrained(staging)
        tokenizer.save_pretrained(staging)

    replace_folder(Path(out_dir), write)


def replace_folder(out_dir: Path, write) -> None:
    """Call write(staging) on a temporary sibling of out_dir, then swap it into place (never half a folder)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write(staging)
        if out_dir.exists():
            old = staging.with_name(staging.name + ".old")
            os.replace(out_dir, old)
            os.replace(staging, out_dir)
            shutil.rmtree(old)
        else:
            os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
