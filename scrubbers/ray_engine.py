"""`--engine ray`: the scrub map run by Ray Data, with output identical to the local engine.

The map is a pure function of (policy, salt, record): each Ray worker process builds one
Scrubber from the policy and the installation's salt, so keyed-HMAC pseudonyms and hashes come out the same
whichever worker (or machine) scrubs a record. Records travel as JSON lines and outcomes come
back as JSON lines in input order (Ray Data's preserve_order), and the caller turns them back
into ScrubOutcomes: the stage writes the same bytes as with the local process pool, and the
re-identification vault is still built only by the caller, from the outcomes, never by a worker.

Two entry points:
- `ray_scrub_shards`: JSONL shards on disk (e.g. `scrub detect`-style inputs), read by Ray Data;
- `ray_scrub`: an iterable of records (the scrub stage reads them from the sealed vault, and
  plaintext must not be written out as shards), sent in bounded chunks.

Ray is an optional extra (`pip install '.[ray]'`); it is imported only here, when asked for.
A cluster is joined with APPLIANCE_RAY_ADDRESS (e.g. `ray://head:10001`), else Ray starts a
local instance on this machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from appliance.records import Finding, Record
from policies.schema import Policy
from scrubbers.errors import ScrubberConfigError

INSTALL_COMMAND = "pip install '.[ray]'"
ADDRESS_VARIABLE = "APPLIANCE_RAY_ADDRESS"
# Records per Ray task batch (one Scrubber.scrub call), and per dataset built from an iterable:
# the driver holds at most one chunk of records and their outcomes.
BATCH_SIZE = 64
CHUNK_RECORDS = 4096


def require_ray() -> Any:
    """The ray module, or a one-line error naming the install command."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ScrubberConfigError(f"the ray engine needs Ray, which is not installed; run `{INSTALL_COMMAND}` or use the local engine") from None
    return ray


def ensure_ray(*, num_cpus: int | None = None) -> Any:
    """Join APPLIANCE_RAY_ADDRESS's cluster, or start a local Ray, unless this process already did."""
    ray = require_ray()
    if not ray.is_initialized():
        # Ray would otherwise try to report usage statistics over the network.
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        address = os.environ.get(ADDRESS_VARIABLE) or None
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return ray


# The worker process's Scrubbers, by (policy, salt). Ray reuses worker processes for tasks, so
# spaCy and Presidio load once per process, not once per batch.
_scrubbers: dict[tuple[str, bytes], Any] = {}
_rescanners: dict[str, Any] = {}


def scrub_lines(batch: dict[str, Any], *, policy: Policy, salt: bytes, rescan: bool = False) -> dict[str, list[str]]:
    """The scrub map: a batch of records as JSON lines -> their outcomes as JSON lines, in order.

    A stateless task rather than an actor: actors would hold every CPU of a small cluster and
    leave none for the read tasks feeding them (a deadlock); tasks also fuse with the read.
    """
    key = (policy.model_dump_json(), bytes(salt))
    if key not in _scrubbers:
        import appliance  # noqa: F401  (offline switches in the worker too)
        from scrubbers.engine import Scrubber

        _scrubbers[key] = Scrubber(policy, salt=salt, batch_size=BATCH_SIZE)
    if rescan and key[0] not in _rescanners:
        from scrubbers.residual import ResidualScanner

        _rescanners[key[0]] = ResidualScanner(policy, batch_size=BATCH_SIZE)
    rescanner = _rescanners[key[0]] if rescan else None
    from scrubbers.parallel import scrub_and_rescan

    records = [Record.from_json(json.loads(line)) for line in batch["text"]]
    return {"outcome": [encode_outcome(outcome) for outcome in scrub_and_rescan(_scrubbers[key], rescanner, records)]}


def encode_outcome(outcome: Any) -> str:
    return json.dumps(
        {
            "record": outcome.record.to_json() if outcome.record is not None else None,
            "findings": [dataclasses.asdict(finding) for finding in outcome.findings],
            "dropped_reason": outcome.dropped_reason,
            "record_id": outcome.record_id,
            "residual": None if outcome.residual is None else [[field, dataclasses.asdict(finding)] for field, finding in outcome.residual],
        },
        ensure_ascii=False,
    )


def decode_outcome(line: str) -> Any:
    from scrubbers.engine import ScrubOutcome

    data = json.loads(line)
    record = Record.from_json(data["record"]) if data["record"] is not None else None
    findings = [Finding(**finding) for finding in data["findings"]]
    residual = None if data["residual"] is None else tuple((field, Finding(**finding)) for field, finding in data["residual"])
    return ScrubOutcome(record, findings, data["dropped_reason"], data["record_id"], residual)


def _scrubbed(dataset: Any, policy: Policy, salt: bytes, rescan: bool) -> Iterator[Any]:
    mapped = dataset.map_batches(scrub_lines, fn_kwargs={"policy": policy, "salt": bytes(salt), "rescan": rescan}, batch_size=BATCH_SIZE, batch_format="numpy")
    for row in mapped.iter_rows():
        yield decode_outcome(str(row["outcome"]))


def _ordered_context() -> None:
    from ray.data import DataContext

    context = DataContext.get_current()
    context.execution_options.preserve_order = True
    # Progress bars would write over the stage's summary lines.
    context.enable_progress_bars = False


def ray_scrub_shards(policy: Policy, salt: bytes, shards: Sequence[Path], *, num_cpus: int | None = None, rescan: bool = False) -> Iterator[Any]:
    """ScrubOutcome per record of the JSONL `shards` (records as Record.to_json): shards in sorted path order, lines in order."""
    paths = sorted(str(Path(shard).resolve()) for shard in shards)
    missing = [path for path in paths if not Path(path).is_file()]
    if missing:
        raise ScrubberConfigError(f"shard {missing[0]} does not exist; pass existing JSONL files")
    ray = ensure_ray(num_cpus=num_cpus)
    _ordered_context()
    yield from _scrubbed(ray.data.read_text(paths, drop_empty_lines=True), policy, salt, rescan)


def ray_scrub(policy: Policy, salt: bytes, records: Iterable[Record], *, num_cpus: int | None = None, chunk_records: int = CHUNK_RECORDS, rescan: bool = False) -> Iterator[Any]:
    """ScrubOutcome per record, in order, scrubbed by Ray tasks; at most `chunk_records` in the driver at once.

    With `rescan`, each kept record's leak re-scan rides along (ScrubOutcome.residual), as with the pool.
    """
    ray = ensure_ray(num_cpus=num_cpus)
    _ordered_context()
    iterator = iter(records)
    while chunk := list(islice(iterator, chunk_records)):
        lines = [{"text": json.dumps(record.to_json(), ensure_ascii=False)} for record in chunk]
        # Blocks of BATCH_SIZE records, so the chunk spreads over the cluster's CPUs.
        dataset = ray.data.from_items(lines, override_num_blocks=max(1, -(-len(lines) // BATCH_SIZE)))
        yield from _scrubbed(dataset, policy, salt, rescan)
