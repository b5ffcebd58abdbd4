"""PERSON spans cut to the name they hold, spans of plain words dropped (scrubbers.person_spans), and the
whole default policy's PERSON findings on words that only look like names."""

from __future__ import annotations

import pytest

from appliance.records import Finding
from policies.loader import load_policy
from policies.schema import Policy
from scrubbers.detect_file import DETECTION_ONLY_SALT
from scrubbers.engine import Scrubber
from scrubbers.person_spans import tidy_person_findings


def tidied(text: str, found: str) -> list[str]:
    start = text.index(found)
    findings = tidy_person_findings([Finding("PERSON", start, start + len(found), 0.85, "test")], text)
    return [text[f.start : f.end] for f in findings]


@pytest.mark.parametrize(
    ("text", "found", "expected"),
    [
        # roles and relations stay outside the span; a title taken in stays (conventions differ)
        ("escalated to the registrar, Dr Vuković, who attended", "Dr Vuković", ["Dr Vuković"]),
        ("Producer Liviana Palerma explained to Fuse TV", "Producer Liviana Palerma", ["Liviana Palerma"]),
        ("Daughter Keeley now holds power of attorney.", "Daughter Keeley", ["Keeley"]),
        ("Visitors today: Grandad Pat, Auntie Bev.", "Auntie Bev", ["Bev"]),
        ("Emailed Gathoni and Wairimu the forms.", "Emailed Gathoni", ["Gathoni"]),
        ("Thx - Bongani\nSent from my iPhone", "Thx - Bongani", ["Bongani"]),
        ("NURSE: Any pain?", "NURSE", []),
        # what a merged finding of another type may hold is kept: digits, dates, places
        ("Speaker 2 (Guest): Thanks.", "2", ["2"]),
        ("born 03/25/1991.", "03/25/1991", ["03/25/1991"]),
        ("Anna Berg\nOslo office", "Anna Berg\nOslo", ["Anna Berg", "Oslo"]),
        ("see Guilty Pleasures: March 2019", "Guilty Pleasures: March", ["March"]),
        ("The Gunnhildur F. Helgadóttir version", "The Gunnhildur F. Helgadóttir", ["Gunnhildur F. Helgadóttir"]),
        # a possessive is not the name
        ("Bryan Maclean's killers were sentenced", "Bryan Maclean's", ["Bryan Maclean"]),
        ("olga krylova’s flat", "olga krylova’s", ["olga krylova"]),
        ("Thomas' car", "Thomas'", ["Thomas"]),
        # a name never runs across a line, a colon or a quotation mark
        ("Yours sincerely,\nKjersti Haugland\nFastlege, Storgata", "Kjersti Haugland\nFastlege", ["Kjersti Haugland"]),
        ("To: Claims Team; Shreya Iyer\nSubject: FW: claim", "Shreya Iyer\nSubject", ["Shreya Iyer"]),
        ("Victoria Bruun\nPhone: 555 0100", "Victoria Bruun\nPhone", ["Victoria Bruun"]),
        ("Heather:\"I'm Daniel's daughter\".", "Heather:\"I'm Daniel's", ["Heather", "Daniel"]),
        # a street word ends no name
        ("early shows on Isaac Lodge Street were", "Isaac Lodge Street", ["Isaac Lodge"]),
        # ... but a surname spelt like a role or a sign-off stays
        ("the poems of Edgar Guest's youth", "Edgar Guest's", ["Edgar Guest"]),
        ("the novels of Isaac Singer", "Isaac Singer", ["Isaac Singer"]),
        # plain English words are no name, unless a title or a name list says so
        ("Capitalized words like Wisdom and Discipline are often mistaken", "Discipline", []),
        ("see Guilty Pleasures: 5 Musicians Of The 70s", "Guilty Pleasures", []),
        ("Awarded Salesperson of the Month three times.", "Salesperson", []),
        ("Siosaia settled after analgesia. Mother stayed.", "analgesia", []),
        ("Caller: Yes. My neighbour saw the water", "Caller", []),
        ("Thanks,\nCheers,\nGreg", "Cheers", []),
        ("Mr Fox will see you now.", "Fox", ["Fox"]),
        ("Mr Fox will see you now.", "Mr Fox", ["Mr Fox"]),
        ("Dear Mr. and Mrs. Hope,", "Hope", ["Hope"]),
        ("Walker began writing as a teenager", "Walker", ["Walker"]),
        ("Grace Fielding\nAdmissions", "Grace Fielding", ["Grace Fielding"]),
        ("the Reading depot in Abuja", "Abuja", ["Abuja"]),
        # names stay whole: initials, particles, comma forms, words no list holds
        ("Seen by Smith, John A. today", "Smith, John A", ["Smith, John A"]),
        ("executor Jan-Willem de Vries signed", "Jan-Willem de Vries", ["Jan-Willem de Vries"]),
        ("Physio update: walked 40 m", "Physio", ["Physio"]),
    ],
)
def test_person_spans_hold_the_name_only(text: str, found: str, expected: list[str]) -> None:
    assert tidied(text, found) == expected


def test_a_policy_deny_list_person_is_kept_whole() -> None:
    custom = Scrubber(
        Policy.model_validate(
            {
                "name": "t",
                "description": "t",
                "entities": {"PERSON": {}},
                "detection": {"deny_lists": [{"entity_type": "PERSON", "terms": ["Guilty Pleasures", "Bluebird"]}]},
            }
        ),
        salt=DETECTION_ONLY_SALT,
    )
    text = "Bluebird wrote to Guilty Pleasures."
    [findings] = custom.detect([text])
    assert [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"] == ["Bluebird", "Guilty Pleasures"]


def test_untouched_findings_come_back_as_the_same_list() -> None:
    text = "Seen by Ngozi Chukwu today."
    findings = [Finding("PERSON", 8, 20, 0.85, "test"), Finding("LOCATION", 0, 4, 0.5, "test")]
    assert tidy_person_findings(findings, text) is findings


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(load_policy("default"), salt=DETECTION_ONLY_SALT)


@pytest.mark.parametrize(
    "text",
    [
        # drug names, capitalised at a sentence start
        "Warfarin was held for two days. Metformin continues at 500 mg.",
        # job titles and roles in notes
        "Supervisor note: caller became abusive. Salesperson of the Month goes to the Leeds branch.",
        "Caller: I never got the letter.\nAgent: Sorry, let me check.\nCaller: Thanks.",
        # products, bands and organisations
        "Awarded for Discipline and Orchestra practice; Metallica played the encore.",
        # sign-offs and headings
        "Thanks for the update.\n\nCheers,\n",
    ],
)
def test_words_that_look_like_names_are_no_person(scrubber: Scrubber, text: str) -> None:
    [findings] = scrubber.detect([text])
    assert [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"] == []


@pytest.mark.parametrize(
    ("text", "name", "not_name"),
    [
        ("Escalated to Dr Vuković and Daughter Keeley.", "Keeley", "Daughter"),
        ("Bryan Maclean's wife rang.", "Bryan Maclean", "'s"),
        ("Yours sincerely,\nKjersti Haugland\nFastlege, Storgata legesenter", "Kjersti Haugland", "Fastlege"),
    ],
)
def test_whole_policy_finds_names_without_their_surroundings(scrubber: Scrubber, text: str, name: str, not_name: str) -> None:
    [findings] = scrubber.detect([text])
    persons = [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"]
    assert name in persons
    assert not any(not_name in person for person in persons)
