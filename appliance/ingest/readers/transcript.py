"""Call transcripts in WebVTT (.vtt) and SubRip (.srt): speakers become roles, timestamps are dropped.

The agent side is the assistant: a speaker whose label says agent/support/representative (and the
like) is the assistant, one whose label says customer/caller is the user; with no such words the
first speaker is the user. Consecutive cues of one speaker are one turn. A recording with fewer than
two sides (a monologue, no labels) becomes a text transcript instead. Names are never kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from appliance.ingest.readers.base import Blob, ParsedRow, ReaderContext, Unreadable, decode_text
from appliance.records import Message

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
TAG = re.compile(r"<[^>]*>")
LABEL = re.compile(r"^(?:>>\s*|-\s*)?([^\W\d_][\w.'’-]*(?: [\w.'’-]+){0,3})\s*:\s+(?=\S)")
AGENT = re.compile(r"\b(agent|support|representative|rep|advisor|adviser|assistant|operator|csr|service|helpdesk|banker|associate|specialist|staff|teller)\b", re.I)
CUSTOMER = re.compile(r"\b(customer|caller|client|user|member|guest|patient)\b", re.I)
_BLOCK_SEPARATOR = re.compile(r"\n[ \t]*\n")


@dataclass
class Segment:
    """Text one speaker said, from cue `first` to cue `last` (1-based)."""

    first: int
    last: int
    speaker: str | None
    text: str


def _split_speaker(line: str, vtt: bool) -> tuple[str | None, str]:
    voice = VOICE.search(line)
    plain = TAG.sub("", line)
    if vtt:
        plain = html.unescape(plain)
    if voice:
        return voice.group(1).strip() or None, plain.strip()
    label = LABEL.match(plain)
    if label:
        return label.group(1).strip(), plain[label.end() :].strip()
    return None, plain.strip()


def parse_cues(text: str, vtt: bool) -> tuple[list[Segment], int]:
    """(segments in order, number of cues). Lines without a speaker continue the previous one."""
    blocks = _BLOCK_SEPARATOR.split(text.strip("\n"))
    if vtt:
        if not blocks[0].startswith("WEBVTT"):
            raise Unreadable("not a WebVTT file (the first line must be WEBVTT); check the export format")
        blocks = blocks[1:]
    segments: list[Segment] = []
    cues = 0
    speaker = None
    for block in blocks:
        lines = block.split("\n")
        if vtt and lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing = next((i for i, line in enumerate(lines) if TIMING.match(line)), None)
        if timing is None:
            continue
        cues += 1
        for line in lines[timing + 1 :]:
            named, said = _split_speaker(line, vtt)
            speaker = named or speaker
            if said:
                segments.append(Segment(cues, cues, speaker, said))
    if not cues:
        raise Unreadable(f"no cues found (no 'start --> end' timing lines); check it is a {'WebVTT' if vtt else 'SRT'} transcript")
    return segments, cues


def merge_turns(segments: Sequence[Segment]) -> list[Segment]:
    turns: list[Segment] = []
    for segment in segments:
        if turns and turns[-1].speaker == segment.speaker:
            turns[-1] = Segment(turns[-1].first, segment.last, segment.speaker, f"{turns[-1].text} {segment.text}")
        else:
            turns.append(segment)
    return turns


def assign_roles(speakers: Sequence[str | None]) -> dict[str | None, str]:
    """Agent-like labels are the assistant, customer-like the user; otherwise the first speaker is the user."""
    roles: dict[str | None, str] = {}
    for speaker in speakers:
        label = speaker or ""
        if AGENT.search(label):
            roles[speaker] = "assistant"
        elif CUSTOMER.search(label):
            roles[speaker] = "user"
    has_agent = "assistant" in roles.values()
    for speaker in speakers:
        if speaker not in roles:
            roles[speaker] = "user" if has_agent or not roles and speaker == speakers[0] else "assistant"
            has_agent = has_agent or roles[speaker] == "assistant"
    return roles


def _groups(units: Sequence[Segment], budget: int) -> Iterator[list[Segment]]:
    group: list[Segment] = []
    size = 0
    for unit in units:
        if group and size + len(unit.text) > budget:
            yield group
            group, size = [], 0
        group.append(unit)
        size += len(unit.text)
    if group:
        yield group


def transcript_rows(text: str, vtt: bool, ctx: ReaderContext) -> Iterator[ParsedRow]:
    segments, cues = parse_cues(text, vtt)
    turns = merge_turns(segments)
    speakers = list(dict.fromkeys(turn.speaker for turn in turns))
    roles = assign_roles(speakers)
    metadata = {"speakers": len([s for s in speakers if s]), "cues": cues}
    budget = ctx.config.max_chunk_chars
    if {"user", "assistant"} <= set(roles.values()):
        for group in _groups(turns, budget):
            messages = tuple(Message(roles[turn.speaker], turn.text) for turn in group)
            yield ParsedRow(kind="transcript", location=f"cues {group[0].first}-{group[-1].last}", messages=messages, metadata=dict(metadata))
        return
    for group in _groups(segments, budget):
        yield ParsedRow(kind="transcript", location=f"cues {group[0].first}-{group[-1].last}", text=" ".join(s.text for s in group), metadata=dict(metadata))


def read_vtt(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    yield from transcript_rows(decode_text(blob.read_bytes()).replace("\r\n", "\n"), True, ctx)


def read_srt(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    yield from transcript_rows(decode_text(blob.read_bytes()).replace("\r\n", "\n"), False, ctx)
