"""Ingest: turn a folder of enterprise exports into records, accounting for every input file."""

from appliance.ingest.core import ArchiveOutcome, FileOutcome, IngestResult, discover, ingest_files, ingest_into, quarantine_is_fatal
from appliance.ingest.work import InputFile

__all__ = ["ArchiveOutcome", "FileOutcome", "IngestResult", "InputFile", "discover", "ingest_files", "ingest_into", "quarantine_is_fatal"]
