"""Ingest: turn a folder of enterprise exports into records, accounting for every input file."""

from appliance.ingest.core import FileOutcome, IngestResult, discover, ingest_files

__all__ = ["FileOutcome", "IngestResult", "discover", "ingest_files"]
