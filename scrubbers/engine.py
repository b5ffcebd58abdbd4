"""The scrubber: find PII in records with Presidio, then apply the policy's operator per entity type."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from presidio_analyzer.nlp_engine import NlpEngine

from appliance.records import Finding, Record
from policies.schema import Policy
from scrubbers.analyzer import NER_ENTITIES, build_analyzer, build_recognizers, supported_entity_types
from scrubbers.detector import DEFAULT_BATCH_SIZE, Detector
from scrubbers.errors import ScrubberConfigError
from scrubbers.fields import METADATA_PREFIX, record_fields, rewrite_record
from scrubbers.merge import merge_findings
from scrubbers.metadata import metadata_hint
from scrubbers.nlp import shared_nlp_engine
from scrubbers.operators import DROP_RECORD
from scrubbers.redact import redact


@dataclasses.dataclass(frozen=True)
class ScrubOutcome:
    """What scrubbing did to one record.

    `record` is the redacted copy, or None when a drop_record entity was found (then
    `dropped_reason` names the entity types). `findings` locate what was found in the
    ORIGINAL record's fields (Finding.field: "text", "messages[i]" or "metadata[key]").
    `record_id` is the input record's id, so a dropped record can still be accounted for.
    `residual` holds the leak re-scan of the redacted record, (field, finding) pairs, when the
    scrub ran with the re-scan (scrubbers.parallel's `rescan`); None when it did not.
    """

    record: Record | None
    findings: list[Finding]
    dropped_reason: str | None = None
    record_id: str = ""
    residual: tuple[tuple[str, Finding], ...] | None = None


class Scrubber:
    """Redacts records according to a policy.

    >>> scrubber = Scrubber(load_policy("default"), salt=hash_salt())
    >>> [outcome] = scrubber.scrub([Record(id="r1", kind="document", source=source, text="Call Maria Lopez at 555-123-4567.")])
    >>> outcome.record.text
    'Call <PERSON> at <PHONE_NUMBER>.'
    """

    def __init__(self, policy: Policy, salt: bytes = b"", *, batch_size: int = DEFAULT_BATCH_SIZE, nlp_engine: NlpEngine | None = None) -> None:
        _check_operators(policy, salt)
        self.policy = policy
        self._salt = bytes(salt)
        self.batch_size = batch_size
        # One AnalyzerEngine per scrubber; the spaCy pipeline under it is loaded once per process.
        self.analyzer = build_analyzer(build_recognizers(policy, NER_ENTITIES), nlp_engine or shared_nlp_engine())
        _check_supported(policy, supported_entity_types(self.analyzer))
        self._detector = Detector(
            self.analyzer,
            entities=policy.entities,
            score_threshold=policy.detection.score_threshold,
            allow_list=policy.detection.allow_list,
            batch_size=batch_size,
        )

    @property
    def entity_types(self) -> list[str]:
        return sorted(self.policy.entities)

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings per text (field "text"), merged and ordered by start; offsets into that text."""
        return self._detector.detect(texts)

    def scrub(self, records: Iterable[Record]) -> Iterator[ScrubOutcome]:
        """One outcome per input record, in order; inputs are never modified."""
        iterator = iter(records)
        while batch := list(islice(iterator, self.batch_size)):
            yield from self._scrub_batch(batch)

    def _scrub_batch(self, batch: list[Record]) -> Iterator[ScrubOutcome]:
        fields_per_record = [record_fields(record) for record in batch]
        detected = iter(self.detect([text for fields in fields_per_record for _, text in fields]))
        for record, fields in zip(batch, fields_per_record, strict=True):
            per_field = {name: self._field_findings(name, text, next(detected)) for name, text in fields}
            findings = [finding for name, _ in fields for finding in per_field[name]]
            dropped = sorted({f.entity_type for f in findings if self.policy.entities[f.entity_type].operator == DROP_RECORD})
            if dropped:
                reason = f"contains {', '.join(dropped)} (policy operator drop_record)"
                yield ScrubOutcome(None, findings, reason, record.id)
                continue
            subject = record.subject_id or record.id
            texts = {name: redact(text, per_field[name], self.policy.entities, self._salt, subject) for name, text in fields}
            yield ScrubOutcome(rewrite_record(record, texts), findings, None, record.id)

    def _field_findings(self, name: str, text: str, found: list[Finding]) -> list[Finding]:
        if name.startswith(METADATA_PREFIX):
            hint = metadata_hint(name[len(METADATA_PREFIX) : -1], text, self.policy.entities, name)
            if hint is not None:
                found = merge_findings([*found, hint], text)
        return [dataclasses.replace(finding, field=name) for finding in found]


def _check_operators(policy: Policy, salt: bytes) -> None:
    hashed = sorted(name for name, rule in policy.entities.items() if rule.operator in ("hash", "pseudonym"))
    if hashed and not salt:
        raise ScrubberConfigError(
            f"policy '{policy.name}' hashes {', '.join(hashed)} but no salt was given; "
            "pass the installation's secret salt (32 random bytes) so tokens cannot be reversed by guessing"
        )
    defined = [(f"detection.patterns[{i}]", p.entity_type) for i, p in enumerate(policy.detection.patterns)]
    defined += [(f"detection.deny_lists[{i}]", d.entity_type) for i, d in enumerate(policy.detection.deny_lists)]
    orphans = [f"{where} ({entity_type})" for where, entity_type in defined if entity_type not in policy.entities]
    if orphans:
        raise ScrubberConfigError(
            f"policy '{policy.name}' detects {', '.join(orphans)} but has no rule for it under entities; "
            "add e.g. `ENTITY: {operator: replace}`"
        )


def _check_supported(policy: Policy, supported: set[str]) -> None:
    unsupported = sorted(set(policy.entities) - supported)
    if unsupported:
        raise ScrubberConfigError(
            f"policy '{policy.name}' lists entity types no recognizer detects: {', '.join(unsupported)}; "
            "remove them or add a detection.patterns / detection.deny_lists entry for each"
        )
