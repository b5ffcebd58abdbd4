"""Scrub or detect across processes: order-preserving batches, a bounded number in flight.

Each worker builds its own Scrubber once (spaCy and Presidio are loaded per process), then
receives batches of records; results come back in input order. At most `workers * 2`
batches are in flight, so memory stays bounded however long the input stream is.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any

from appliance.records import Finding, Record
from policies.schema import Policy

_scrubber: Any = None  # the worker process's Scrubber
_rescanner: Any = None  # and its ResidualScanner, when the leak re-scan runs in the workers


def _start_worker(policy: Policy, salt: bytes, batch_size: int, rescan: bool = False) -> None:
    global _scrubber, _rescanner
    import appliance  # noqa: F401  (offline switches in the child too)
    from scrubbers.engine import Scrubber
    from scrubbers.residual import ResidualScanner

    _scrubber = Scrubber(policy, salt=salt, batch_size=batch_size)
    _rescanner = ResidualScanner(policy, batch_size=batch_size) if rescan else None


def _detect_batch(texts: list[str]) -> list[list[Finding]]:
    from scrubbers.nlp import transient_strings

    with transient_strings():
        return _scrubber.detect(texts)


def _scrub_batch(records: list[Record]) -> list[Any]:
    return scrub_and_rescan(_scrubber, _rescanner, records)


def scrub_and_rescan(scrubber: Any, rescanner: Any, records: list[Record]) -> list[Any]:
    """Outcomes for `records`; with a rescanner, each kept record's leak re-scan rides along.

    Re-scanning where the record was just scrubbed spreads the second spaCy pass over the
    workers too, instead of leaving it to one process after the pool.
    """
    from scrubbers.nlp import transient_strings

    with transient_strings():  # a worker's memory must not grow with the corpus's vocabulary
        outcomes = list(scrubber.scrub(records))
        if rescanner is None:
            return outcomes
        kept = [outcome for outcome in outcomes if outcome.record is not None]
        found_in = [{finding.field for finding in outcome.findings} for outcome in kept]
        leaks = iter(rescanner.leaks([outcome.record for outcome in kept], found_in))
        return [dataclasses.replace(outcome, residual=tuple(next(leaks))) if outcome.record is not None else outcome for outcome in outcomes]


def _ordered(pool: ProcessPoolExecutor | None, function: Callable[[list[Any]], list[Any]], items: Iterable[Any], batch_size: int, in_flight: int) -> Iterator[Any]:
    iterator = iter(items)
    if pool is None:
        while batch := list(islice(iterator, batch_size)):
            yield from function(batch)
        return
    pending: deque[Future[list[Any]]] = deque()
    while True:
        while len(pending) < in_flight and (batch := list(islice(iterator, batch_size))):
            pending.append(pool.submit(function, batch))
        if not pending:
            return
        yield from pending.popleft().result()


@contextlib.contextmanager
def _pool(policy: Policy, salt: bytes, workers: int, batch_size: int, rescan: bool = False) -> Iterator[ProcessPoolExecutor | None]:
    if workers <= 1:
        _start_worker(policy, salt, batch_size, rescan)
        yield None
        return
    import multiprocessing

    # forkserver: a fresh interpreter per worker, never a fork of a process holding threads.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(policy, salt, batch_size, rescan)) as pool:
        yield pool


@contextlib.contextmanager
def parallel_detect(policy: Policy, *, workers: int = 1, batch_size: int = 64) -> Iterator[Callable[[Sequence[str]], Iterator[list[Finding]]]]:
    """A function texts -> findings per text (in order), backed by `workers` processes."""
    from scrubbers.detect_file import DETECTION_ONLY_SALT

    with _pool(policy, DETECTION_ONLY_SALT, workers, batch_size) as pool:
        yield lambda texts: _ordered(pool, _detect_batch, texts, batch_size, workers * 2)


@contextlib.contextmanager
def parallel_scrub(policy: Policy, salt: bytes, *, workers: int = 1, batch_size: int = 64, rescan: bool = False) -> Iterator[Callable[[Iterable[Record]], Iterator[Any]]]:
    """A function records -> ScrubOutcome per record (in order), backed by `workers` processes.

    With `rescan`, each kept record's outcome carries its leak re-scan (ScrubOutcome.residual).
    """
    with _pool(policy, salt, workers, batch_size, rescan) as pool:
        yield lambda records: _ordered(pool, _scrub_batch, records, batch_size, workers * 2)
