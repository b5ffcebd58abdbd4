"""Operators: what happens to a detected value. One module each, chosen by name from a closed registry.

`drop_record` is not here: it acts on a whole record, so the engine handles it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from scrubbers.operators.hash import hash_token
from scrubbers.operators.mask import mask
from scrubbers.operators.pseudonym import pseudonym
from scrubbers.operators.replace import replace


class Operator(Protocol):
    def __call__(self, value: str, entity_type: str, *, keep_last: int = 0, salt: bytes = b"") -> str: ...


OPERATORS: Mapping[str, Operator] = {
    "replace": replace,
    "mask": mask,
    "hash": hash_token,
    "pseudonym": pseudonym,
}

# The operator that removes the whole record instead of rewriting a span.
DROP_RECORD = "drop_record"

__all__ = ["DROP_RECORD", "OPERATORS", "Operator", "hash_token", "mask", "pseudonym", "replace"]
