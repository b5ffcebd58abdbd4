"""The near-duplicate index: MinHash signatures bucketed by band (LSH), consulted in input order.

It lives in the main process; the first record of a group of near-duplicates is kept, whatever
the number of workers. Recent bucket entries sit in a dict; every FREEZE_AT records they are
frozen into sorted arrays (12 bytes an entry instead of ~80), so a corpus of millions of records
costs well under a kilobyte a record here.
"""

from __future__ import annotations

import numpy as np

from appliance.ingest.quality import BANDS, PERMUTATIONS, ROWS

FREEZE_AT = 1 << 13  # ~16 bucket entries a record at ~100 bytes each in the dict: ~13 MB before a freeze
# Signatures live in fixed blocks: growing never copies them (a doubling array briefly holds 3x).
BLOCK_ROWS = 4096
MAX_RUNS = 8  # frozen arrays searched per query before they are merged into one

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)
_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xA24BAED4963EE407)


def bucket_keys(signature: np.ndarray, label_salt: int) -> np.ndarray:
    """One 64-bit key per band (a collision only adds a candidate, which is then checked)."""
    pairs = signature.view(np.uint64).reshape(BANDS, ROWS // 2)
    return (pairs * _MIX).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT ^ np.uint64(label_salt)


def _sorted_run(keys: np.ndarray, indexes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return keys[order], indexes[order]


class NearDuplicateIndex:
    """Kept signatures; records with different labels are never near-duplicates."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._blocks: list[np.ndarray] = []  # BLOCK_ROWS signatures each, 512 bytes a signature
        self._labels: list[str] = []
        self._salts: dict[str, int] = {}
        self._recent: dict[int, int | list[int]] = {}
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, record indexes)
        self._frozen = 0  # records whose entries are in self._runs

    def __len__(self) -> int:
        return len(self._labels)

    def _keys(self, signature: np.ndarray, label: str) -> np.ndarray:
        salt = self._salts.setdefault(label, len(self._salts) * 0x9E3779B97F4A7C15 % 2**64)
        return bucket_keys(signature, salt)

    def is_near_duplicate(self, signature: bytes, label: str) -> bool:
        if label not in self._salts:
            return False
        vector = np.frombuffer(signature, dtype=np.uint32)
        keys = self._keys(vector, label)
        candidates: set[int] = set()
        for key in keys.tolist():
            found = self._recent.get(key)
            if found is not None:
                candidates.update((found,) if isinstance(found, int) else found)
        for run_keys, run_indexes in self._runs:
            starts, ends = np.searchsorted(run_keys, keys, "left"), np.searchsorted(run_keys, keys, "right")
            for start, end in zip(starts.tolist(), ends.tolist()):
                candidates.update(run_indexes[start:end].tolist())
        same_label = sorted(i for i in candidates if self._labels[i] == label)
        if not same_label:
            return False
        rows = np.stack([self._row(i) for i in same_label])
        return bool(((rows == vector).mean(axis=1) >= self.threshold).any())

    def _row(self, index: int) -> np.ndarray:
        return self._blocks[index // BLOCK_ROWS][index % BLOCK_ROWS]

    def add(self, signature: bytes, label: str) -> None:
        index = len(self._labels)
        if index == len(self._blocks) * BLOCK_ROWS:
            self._blocks.append(np.zeros((BLOCK_ROWS, PERMUTATIONS), dtype=np.uint32))
        row = self._row(index)
        row[:] = np.frombuffer(signature, dtype=np.uint32)
        self._labels.append(label)
        for key in self._keys(row, label).tolist():
            found = self._recent.setdefault(key, index)
            if found != index:
                if isinstance(found, int):
                    self._recent[key] = [found, index]
                else:
                    found.append(index)
        if len(self._labels) - self._frozen >= FREEZE_AT:
            self._freeze()

    def _freeze(self) -> None:
        keys, indexes = [], []
        for key, found in self._recent.items():
            for index in (found,) if isinstance(found, int) else found:
                keys.append(key)
                indexes.append(index)
        self._runs.append(_sorted_run(np.array(keys, dtype=np.uint64), np.array(indexes, dtype=np.int32)))
        if len(self._runs) > MAX_RUNS:
            self._runs = [_sorted_run(np.concatenate([k for k, _ in self._runs]), np.concatenate([i for _, i in self._runs]))]
        self._recent.clear()
        self._frozen = len(self._labels)

    def truncate(self, length: int) -> None:
        """Forget every entry from `length` on (a file that failed half-way is rolled back)."""
        while len(self._labels) > max(length, self._frozen):
            index = len(self._labels) - 1
            for key in self._keys(self._row(index), self._labels.pop()).tolist():
                found = self._recent[key]
                if isinstance(found, int):
                    del self._recent[key]
                else:
                    found.pop()  # entries are appended in index order: ours is last
                    if len(found) == 1:
                        self._recent[key] = found[0]
        if length < self._frozen:  # rare: the failed file spanned a freeze
            self._recent.clear()
            del self._labels[length:]
            self._runs = [(k[i < length], i[i < length]) for k, i in self._runs]
            self._frozen = length
        del self._blocks[-(-len(self._labels) // BLOCK_ROWS) :]
