"""The run configuration: built-in defaults < config file < command-line flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appliance.errors import ApplianceError
from appliance.files import relative_path_problem
from appliance.objectives import Objectives
from policies.loader import validation_problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestConfig(Strict):
    # CSV: which column is the text; the rest become metadata (sensitive ones go to the sealed sidecar).
    text_column: str = "text"
    # CSV: an optional label column, trained as the answer to the text (classification-style rows).
    label_column: str | None = "outcome"
    # CSV/JSONL: the column naming the data subject (customer id), kept for splits and erasure.
    subject_column: str | None = "customer_id"
    # Documents longer than this many characters are split on paragraph boundaries.
    max_chunk_chars: int = Field(default=1200, ge=100)
    # Characters each chunk repeats from the end of the one before (cut at a word; at most half a chunk).
    chunk_overlap_chars: int = Field(default=0, ge=0)
    min_chars: int = Field(default=20, ge=0)
    # Records longer than this (after chunking; e.g. a huge chat or CSV cell) are filtered as too_long.
    max_chars: int = Field(default=100_000, ge=1)
    # Records whose non-space characters are less than this fraction letters (number tables, encoded blobs) are filtered.
    min_letter_fraction: float = Field(default=0.4, ge=0, le=1)
    # Records at least this similar (MinHash estimate of word-shingle Jaccard) to an earlier one are dropped; None: off.
    near_duplicate_threshold: float | None = Field(default=0.9, gt=0, le=1)
    # Worker processes reading files; None: one per CPU. Results are identical whatever the count.
    workers: int | None = Field(default=None, ge=1)
    # Files at least this large are streamed in the main process instead of read whole by a worker.
    stream_above_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    # Zip/tar archives are read in place; one expanding past these bounds is quarantined, not expanded.
    archive_max_bytes: int = Field(default=2 * 1024**3, ge=1)
    archive_max_ratio: float = Field(default=100.0, ge=1)
    archive_max_members: int = Field(default=100_000, ge=1)


class ScrubConfig(Strict):
    # local: a process pool on this machine; ray: Ray Data over JSONL shards (pip install '.[ray]').
    # Both give byte-identical output. APPLIANCE_SCRUB_ENGINE or `appliance scrub --engine` override it.
    engine: Literal["local", "ray"] = "local"


class TrainConfig(Strict):
    base_model: str = "smollm2-135m-instruct"
    max_steps: int = Field(default=40, ge=1)
    batch_size: int = Field(default=8, ge=1)
    learning_rate: float = Field(default=3e-4, gt=0)
    warmup_steps: int = Field(default=4, ge=0)
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    max_seq_len: int = Field(default=256, ge=16)
    lora_r: int = Field(default=8, ge=1)
    lora_alpha: int = Field(default=16, ge=1)
    lora_dropout: float = Field(default=0.0, ge=0, lt=1)
    # None: the architecture's attention and MLP projections; or a list of module names; or "all-linear".
    target_modules: tuple[str, ...] | Literal["all-linear"] | None = None
    seed: int = 0
    validation_fraction: float = Field(default=0.2, gt=0, lt=1)
    dp: bool = False
    target_epsilon: float = Field(default=8.0, gt=0)
    # None: min(policy max_delta, 1 / (10 * training records)).
    delta: float | None = Field(default=None, gt=0, lt=1)
    accountant: Literal["prv", "rdp"] = "prv"
    # Save a checkpoint (adapter, optimizer, scheduler, RNG, data position, DP accountant) every N steps; 0: never.
    checkpoint_every: int = Field(default=10, ge=0)
    keep_checkpoints: int = Field(default=2, ge=1)
    # Continue from the latest complete checkpoint in RUN/train/checkpoints (`appliance train --resume`).
    resume: bool = False
    # rank-stabilised LoRA scaling (alpha / sqrt(r)) and weight-decomposed LoRA (DoRA; not with DP).
    use_rslora: bool = False
    use_dora: bool = False
    # Conversations: train every assistant turn, or only the last (earlier turns become context).
    assistant_turns: Literal["all", "last"] = "all"
    # Micro-batches of batch_size per optimizer step (without DP): a larger effective batch in the same memory.
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    # lora (default), full fine-tuning (small models only), or peft's lighter prefix tuning / IA3.
    method: Literal["lora", "full", "prefix", "ia3"] = "lora"
    # Validation loss every N steps (0: only at the end); stop after `early_stopping_patience` evaluations without improvement.
    eval_every: int = Field(default=0, ge=0)
    early_stopping_patience: int | None = Field(default=None, ge=1)
    # DP privacy unit: one record, or every record of one data subject (user-level DP; needs a subject id).
    privacy_unit: Literal["record", "subject"] = "record"
    # Pack several examples per row when DP is off (positions restart per example, no cross-example attention):
    # completion documents fill rows; conversations and labelled rows stay whole. Prefix tuning trains unpacked.
    packing: bool = True
    # Trade compute for memory (recompute activations in backward); 4-bit base weights need bitsandbytes and a CUDA GPU.
    gradient_checkpointing: bool = False
    load_in_4bit: bool = False
    # auto: bfloat16 on a CUDA GPU that supports it (frozen base in bf16, trained weights float32), float32 elsewhere.
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # Also write the base model with the adapter merged in (train/merged/), for serving without peft.
    merge: bool = False


class AuditConfig(Strict):
    """Model-based audits run after training (privacy attacks, counterfactual probes)."""

    # Synthetic secrets inserted into the training split to measure memorisation (exposure); 0 = off.
    canaries: int = Field(default=0, ge=0, le=100)
    canary_repeats: int = Field(default=1, ge=1, le=100)
    # Random passcodes each canary is ranked against; exposure can reach log2(candidates + 1) bits.
    canary_candidates: int = Field(default=100, ge=10, le=10_000)
    membership_inference: bool = True
    # Training-record prefixes given to the model to see whether it regurgitates PII; 0 = off.
    regurgitation_samples: int = Field(default=0, ge=0, le=500)
    counterfactual_probe: bool = True
    # Held-out prompts the counterfactual probe scores per lexicon axis (each once per group, adapter and base).
    counterfactual_records: int = Field(default=16, ge=1, le=1000)


class EvaluateConfig(Strict):
    max_records: int = Field(default=200, ge=1)
    # Instruction task: held-out prompts the adapter answers, scanned for emitted PII (counts only); 0: off.
    generation_records: int = Field(default=8, ge=0, le=200)
    # The compare stage: the same held-out prompts answered by each method (empty: the stage records "not configured").
    compare: tuple[Literal["prompt", "retrieval", "adapter", "adapter+retrieval"], ...] = ()
    compare_records: int = Field(default=16, ge=1, le=1000)
    few_shot: int = Field(default=3, ge=0, le=16)
    retrieval_top_k: int = Field(default=3, ge=1, le=20)
    max_new_tokens: int = Field(default=64, ge=1, le=1024)


class TrackingConfig(Strict):
    """A local, offline experiment tracker; nothing is ever sent anywhere."""

    backend: Literal["none", "tensorboard", "mlflow"] = "none"
    # Relative to the run directory unless absolute.
    directory: str = "tracking"


class RunConfig(Strict):
    # instruction: conversations and Q&A; completion: raw text (domain adaptation, packed);
    # classification: text plus a label column, trained as an instruction with the label as answer.
    task: Literal["instruction", "completion", "classification"] = "instruction"
    objectives: Objectives = Objectives()
    ingest: IngestConfig = IngestConfig()
    scrub: ScrubConfig = ScrubConfig()
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    audit: AuditConfig = AuditConfig()
    tracking: TrackingConfig = TrackingConfig()


def load_config(path: Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> RunConfig:
    """Built-in defaults, then the file, then overrides (flags); every error reported at once."""
    data: dict[str, Any] = {}
    origin = "command-line flags"
    if path is not None:
        origin = str(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ApplianceError(f"cannot read config {path}: {exc.strerror}; check the path") from None
        except yaml.YAMLError as exc:
            raise ApplianceError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ApplianceError(f"{path}: a run config must be a YAML mapping (task, ingest, train, evaluate)")
        data = loaded or {}
    path_problems = file_path_problems(data, overrides or {})
    for section, values in (overrides or {}).items():
        merged = dict(data.get(section) or {})
        merged.update({k: v for k, v in values.items() if v is not None})
        data[section] = merged
    return parse_config(data, origin, path_problems)


# Paths a config file may set. A file is untrusted: it may only name places inside the run
# directory; an absolute path or one outside must come from the command line.
FILE_PATH_FIELDS = (("tracking", "directory"),)


def file_path_problems(data: dict[str, Any], overrides: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for section, key in FILE_PATH_FIELDS:
        values = data.get(section)
        if not isinstance(values, dict) or (overrides.get(section) or {}).get(key) is not None:
            continue
        value = values.get(key)
        if isinstance(value, str) and (problem := relative_path_problem(value)):
            problems.append(f"{section}.{key}: {problem}")
    return problems


def parse_config(data: dict[str, Any], origin: str, path_problems: list[str] | None = None) -> RunConfig:
    problems = list(path_problems or [])
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc)
    if problems:
        raise ApplianceError(f"{origin}: {len(problems)} problem(s) in the run config: " + "; ".join(problems)) from None
    return config


def config_yaml(config: RunConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
