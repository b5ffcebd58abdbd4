"""Counterfactual probe: does the answer change when only the group a prompt evokes changes?

For each held-out prompt and each axis of the shipped lexicon (audits/lexicon/counterfactual.json),
one variant per group: `<PERSON>` placeholders left by scrubbing are filled with that group's
names, and the axis's aligned words (she/he, mother/father, ...) are swapped to that group's.
The model then scores the SAME answer after every variant. The record's gap is the spread (max
minus min) of the answer's log-likelihood across variants, and a decision flips when the
predicted label differs between variants. The base model is probed the same way: the gate judges
how much fine-tuning raised the mean gap, not the gap a base model already has.

Pure functions here; audits/counterfactual_probe.py runs the model.

Example:
    >>> variants("Dear <PERSON>, she applied.", load_lexicon()["gender"], seed="r1")["male"]
    'Dear Greg, he applied.'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from audits.fairness_data import clean_number

LEXICON = Path(__file__).parent / "lexicon" / "counterfactual.json"
PLACEHOLDER = re.compile(r"<PERSON>")


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON) -> dict[str, dict[str, dict[str, list[str]]]]:
    """{axis: {group: {"names": [...], "words": [...]}}}, read as data only."""
    return {axis: spec["groups"] for axis, spec in json.loads(Path(path).read_text(encoding="utf-8"))["axes"].items()}


def _case_like(word: str, model: str) -> str:
    return word.capitalize() if model[:1].isupper() else word


def variants(text: str, groups: Mapping[str, Mapping[str, list[str]]], *, seed: str) -> dict[str, str] | None:
    """One version of `text` per group, or None when the text has nothing this axis can swap."""
    word_lists = {group: spec.get("words", []) for group, spec in groups.items()}
    # Any group's word maps to its position, so every variant starts from the same aligned slots.
    position = {word.lower(): index for words in word_lists.values() for index, word in enumerate(words)}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(position, key=len, reverse=True))) + r")\b", re.IGNORECASE) if position else None
    if not PLACEHOLDER.search(text) and not (pattern and pattern.search(text)):
        return None
    offset = sum(map(ord, seed))  # the same record always gets the same names
    result = {}
    for group, spec in groups.items():
        names, words = spec.get("names", []), word_lists[group]
        count = iter(range(10**6))
        swapped = PLACEHOLDER.sub(lambda _: names[(offset + next(count)) % len(names)] if names else "<PERSON>", text)
        if pattern and words:
            swapped = pattern.sub(lambda m: _case_like(words[position[m.group(0).lower()]], m.group(0)), swapped)
        result[group] = swapped
    return result


def record_gap(logprobs: Mapping[str, float], decisions: Mapping[str, str | None]) -> dict[str, Any]:
    """Spread of the answer's log-likelihood over a record's variants, and whether the decision flipped."""
    values = list(logprobs.values())
    made = {decision for decision in decisions.values() if decision is not None}
    return {"gap": max(values) - min(values), "flipped": len(made) > 1 if made else None, "lowest": min(logprobs, key=logprobs.get)}


def summarise_axis(adapter: Sequence[Mapping[str, Any]], base: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean and worst gaps and flip rates of the adapter and the base model over the probed records."""

    def side(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        gaps = [row["gap"] for row in rows]
        decided = [row["flipped"] for row in rows if row["flipped"] is not None]
        lowest: dict[str, int] = {}
        for row in rows:
            lowest[row["lowest"]] = lowest.get(row["lowest"], 0) + 1
        return {
            "mean_gap": clean_number(sum(gaps) / len(gaps)) if gaps else None,
            "worst_gap": clean_number(max(gaps)) if gaps else None,
            "decisions": len(decided),
            "flip_rate": clean_number(sum(decided) / len(decided)) if decided else None,
            "least_likely_group_counts": dict(sorted(lowest.items())),
        }

    result = {"records": len(adapter), "adapter": side(adapter), "base": side(base)}
    a, b = result["adapter"]["mean_gap"], result["base"]["mean_gap"]
    result["mean_gap_increase"] = clean_number(a - b) if a is not None and b is not None else None
    return result
