"""Deterministic train/validation split: by data subject when known, so no person is on both sides."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from appliance.records import Record


def is_held_out(record: Record, fraction: float, seed: int) -> bool:
    unit = record.subject_id or record.id
    bucket = int(hashlib.sha256(f"{seed}:{unit}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < fraction


def split_records(records: Sequence[Record], fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    train, held_out = [], []
    for record in records:
        (held_out if is_held_out(record, fraction, seed) else train).append(record)
    if not held_out and len(train) > 1:
        held_out.append(train.pop())  # a tiny corpus still gets a held-out record to evaluate on
    return train, held_out
