"""Spread the per-file work over worker processes and hand the results back in input order.

Files at least `stream_above_bytes` large are not sent to a worker: they are read here, lazily, so
their text is never held whole (nor pickled). Everything else goes to the pool in chunks.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from appliance.ingest.readers import ReaderContext
from appliance.ingest.work import FileWork, InputFile, run_task, should_stream, stream_task

POOL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves
# Chunks submitted ahead of the one being merged, per worker. Executor.map would submit every file at
# once and hold every finished result until it is merged: memory growing with the corpus. A chunk
# closes at CHUNK_BYTES of input, so in-flight input stays under workers * 2 * (CHUNK_BYTES + one file
# below stream_above_bytes), whatever the corpus size.
CHUNKS_AHEAD_PER_WORKER = 2
CHUNK_BYTES = 8 << 20


_worker_ctx: ReaderContext | None = None


def _init_worker(ctx: ReaderContext) -> None:
    global _worker_ctx
    _worker_ctx = ctx


def _pooled_chunk(items: Sequence[InputFile]) -> list[list[FileWork]]:
    assert _worker_ctx is not None
    return [run_task(item, _worker_ctx) for item in items]


def _mp_context() -> multiprocessing.context.BaseContext:
    # forkserver: workers fork from a clean server process, never from a parent that may hold threads.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["appliance.ingest.pool", "pypdf", "docx", "bs4", "lxml.html"])
        return context
    return multiprocessing.get_context("spawn")


def available_cpus() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def works_in_order(files: Sequence[InputFile], ctx: ReaderContext) -> Iterator[FileWork]:
    streamed = [should_stream(item, ctx) for item in files]
    pooled = [item for item, stream in zip(files, streamed) if not stream]
    workers = min(ctx.config.workers or available_cpus(), len(pooled))
    results: Generator[list[FileWork], None, None]
    if workers > 1 and len(pooled) >= POOL_MIN_FILES:
        results = _pooled_results(pooled, ctx, workers)
    else:
        results = (run_task(item, ctx) for item in pooled)
    try:
        for item, stream in zip(files, streamed):
            if stream:
                yield stream_task(item, ctx)
            else:
                yield from next(results)
    finally:
        results.close()  # shuts the pool down now, not whenever the generator is collected


def _size(item: InputFile) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return 0


def _chunks(items: Sequence[InputFile], files_per_chunk: int) -> list[list[InputFile]]:
    """Consecutive runs of at most `files_per_chunk` files and (past the first file) CHUNK_BYTES of input."""
    chunks: list[list[InputFile]] = []
    current: list[InputFile] = []
    size = 0
    for item in items:
        item_size = _size(item)
        if current and (len(current) == files_per_chunk or size + item_size > CHUNK_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        chunks.append(current)
    return chunks


def _pooled_results(items: Sequence[InputFile], ctx: ReaderContext, workers: int) -> Generator[list[FileWork], None, None]:
    """run_task over the items in worker processes, in order; in-process for the rest if the pool breaks."""
    done = 0
    chunksize = max(1, min(32, len(items) // (workers * 8)))
    chunks = _chunks(items, chunksize)
    try:
        with ProcessPoolExecutor(workers, mp_context=_mp_context(), initializer=_init_worker, initargs=(ctx,)) as pool:
            pending: deque = deque()
            submitted = 0
            while done < len(items):
                while submitted < len(chunks) and len(pending) < workers * CHUNKS_AHEAD_PER_WORKER:
                    pending.append(pool.submit(_pooled_chunk, chunks[submitted]))
                    submitted += 1
                for works in pending.popleft().result():
                    yield works
                    done += 1
    except BrokenProcessPool:
        # A worker died (killed for memory, or the main module cannot be re-imported). The work is the
        # same in any process, so finishing here changes nothing in the result, only the speed.
        pass
    for item in items[done:]:
        yield run_task(item, ctx)
