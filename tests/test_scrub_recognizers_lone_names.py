"""Table tests for what no list holds: lone unknown names, unknown places, one-off speakers, and a found name's other mentions."""

from __future__ import annotations

import pytest
from presidio_analyzer import EntityRecognizer

from appliance.records import Finding
from scrubbers.name_mentions import add_repeated_names
from scrubbers.recognizers import (
    LoneNameRecognizer,
    NameLineRecognizer,
    SpeakerLabelRecognizer,
    UnknownFullNameRecognizer,
    UnknownPlaceRecognizer,
)


def matches(recognizer: EntityRecognizer, text: str, entity: str = "PERSON") -> list[str]:
    return [text[r.start : r.end] for r in sorted(recognizer.analyze(text, entities=[entity]), key=lambda r: r.start)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oyelaran rang back at 3pm about the refund.", ["Oyelaran"]),
        ("Shovda is very reliable. You can always depend on her.", ["Shovda"]),
        ("Yesterday Tuyet asked for a callback.", ["Tuyet"]),
        ("Nkemdirim's husband called twice.", ["Nkemdirim"]),
        ("Zembrowski said the invoice was wrong, and Wojtaszek has agreed.", ["Zembrowski", "Wojtaszek"]),
        ("Warrane, can I please speak to your boss?", ["Warrane"]),
        ("> Adaobi - could you send the forms?", ["Adaobi"]),
        # words a dictionary spells, brands, places and function words are never a lone name
        ("Microsoft said the outage is over.", []),
        ("Destiny is a strong word.", []),
        ("Paris is lovely in spring; Kettering said no.", []),
        ("Customer said she moved. Nobody said a word. The Board said no.", []),
        ("Thanks, can you check? Zoopla's website is down.", []),
        ("oyelaran rang back", []),  # lower case and unlisted: nothing marks it as a name
        ("cormac had given his address", ["cormac"]),  # lower case, but a listed name no dictionary spells
        ("bártová began writing as a teenager", ["bártová"]),  # lower case, with a family-name ending
        ("mark said the will was read", []),
        ("selma is from the north and nina wants a call", ["selma", "nina"]),  # listed, SCOWL spells them only as names
        ("paris is lovely and chad said no", []),  # listed names that are places
        ("hey its tunde, this is kofi from billing", ["tunde", "kofi"]),  # introduced in lower case, listed
        ("its fine, this is maria's, i am sorry, im here", []),  # words, and a listed name a dictionary spells
        ("The Okafors are moving; the Kowalczyks' flat is empty.", ["Okafors", "Kowalczyks"]),  # a family in the plural
        ("The Andes are high; the Smiths were a band; the Alps have snow.", []),  # plurals a dictionary spells
    ],
)
def test_lone_unknown_names(text: str, expected: list[str]) -> None:
    assert matches(LoneNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am in Rohod for a business trip", ["Rohod"]),
        ("the team flew to ÖSTERSKÄR on Monday", ["ÖSTERSKÄR"]),
        ("she was born in Kvaløysletta, near the coast", ["Kvaløysletta"]),
        ("from Gjirokastër Qark to the capital", ["Gjirokastër Qark"]),
        ("we are in Ullaste For the week", ["Ullaste"]),  # an English word does not join the place
        # listed places are the gazetteer's; names, languages, brands and words are not places
        ("moved to Paris", []),
        ("spoke to Kwabena yesterday", []),
        ("listed in English and French", []),
        ("talk to Google", []),
        ("According to Vinteks we pay late; welcome to Zoopla", []),
        ("In Rohod it rained", []),  # a capitalised "In" starts headings and titles
    ],
)
def test_unknown_places_after_a_preposition(text: str, expected: list[str]) -> None:
    assert matches(UnknownPlaceRecognizer(), text, "LOCATION") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to add Irenke Sörös as a beneficiary", ["Irenke Sörös"]),
        ("The Vidica Zakoč account was closed.", ["Vidica Zakoč"]),  # the English word before is not part of it
        ("Consumer Reports's Impi Nummelin.", ["Impi Nummelin"]),
        ("Referred by Siosaia Taufa Vaipulu today", ["Siosaia Taufa Vaipulu"]),
        # a dictionary word, a listed place or capitals alone break the run
        ("Welcome to Google Maps and Windows Update", []),
        ("Willemine ten Pas will talk", []),  # "pas" is a word: left to the other recognizers
        ("flights to Ullaste Tallinn", []),
        ("ACME XYZZY LTD", []),
        ("Ezxbrl", []),  # one word alone
    ],
)
def test_runs_of_unknown_capitalised_words(text: str, expected: list[str]) -> None:
    assert matches(UnknownFullNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ubul: What a wife.\nNicole: Remember me, Mary?", ["Ubul", "Nicole"]),  # a listed name makes it a dialogue
        ("Zembrowski: ok\nMarcus Webb: hello\nMarcus Webb: bye", ["Zembrowski", "Marcus Webb", "Marcus Webb"]),
        ("Project: Bluebird\nOwner: Maria\nBudget: 3000", []),  # a form: fields, and no label speaks
        ("Maria: hello\nProject: late", ["Maria"]),  # "Project" is a word, so it stays a field
        ("Zembrowski: ok", []),  # one label alone is no dialogue
    ],
)
def test_one_off_speakers_in_a_dialogue(text: str, expected: list[str]) -> None:
    assert matches(SpeakerLabelRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks again.\n\nEinojuhani Pyysalo\n\nLocal transit bus driver\n", ["Einojuhani Pyysalo"]),
        ("leidy t muris\nlabor relations director\nrosales-mcguire", ["leidy t muris"]),
        ("Maika van de Noort\nEmployment manager\nOpportunityspace Inc", ["Maika van de Noort"]),
        (">Sefo Leavasa\n>Pacific Freight Ltd\n>3369 24 Clarke Avenue\n>Apt. 805", ["Sefo Leavasa"]),  # a company line between
        ("emidio p lombardo\ngarcia-smith\nunit 1009 box 0219", ["emidio p lombardo"]),
        # headings, greetings and departments above a title or a number are not names
        ("Customer Service\nManager", []),
        ("Best regards\nSales Director", []),
        ("Order Summary\n2 items shipped", []),
        ("Maria lopez\nSales manager", []),  # mixed case is prose, not a name line
        ("Einojuhani Pyysalo said hello\nBus driver", []),  # the name must fill its line
        ("Einojuhani Pyysalo\nwill call you back tomorrow about it", []),  # nothing below says title or address
    ],
)
def test_name_lines_above_a_title_or_an_address(text: str, expected: list[str]) -> None:
    assert matches(NameLineRecognizer(), text) == expected


def _mentions(text: str, name: str) -> list[str]:
    start = text.index(name)
    found = add_repeated_names([Finding("PERSON", start, start + len(name), 0.85, "test")], text)
    return [text[finding.start : finding.end] for finding in found[1:]]


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Film directed by Maciej Borkowski and starring Borkowski. Later Borkowski's son met Maciej.", "Maciej Borkowski",
         ["Borkowski", "Borkowski", "Maciej"]),
        ("From: Ingrid Solberg\n> Ingrid, see below.\nIngridsdottir replied.", "Ingrid Solberg", ["Ingrid"]),  # whole words only
        ("Dr. Brad L Key starred. Key later said so; the key was lost.", "Brad L Key", ["Key"]),  # a word from a full name, capitalised
        ("Meet Brown at noon. Brown bread is nice.", "Brown", []),  # one word that is also a word: not carried
        ("Will Smith called. Will you call back?", "Will Smith", []),  # "Will" is a function word: never carried
        ("hi cormac, cormac's dad rang", "cormac", ["cormac"]),  # a listed name in lower case
        ("Mr Ng and Ng Holdings", "Ng", []),  # two letters are too short to stand alone
    ],
)
def test_a_found_name_is_found_at_its_other_mentions(text: str, name: str, expected: list[str]) -> None:
    assert _mentions(text, name) == expected


def test_mentions_already_covered_by_another_finding_are_left_alone() -> None:
    text = "Ana Ruiz lives at 4 Ruiz Street; Ruiz called."
    street = text.index("4 Ruiz Street")
    findings = [Finding("PERSON", 0, 8, 0.85, "test"), Finding("STREET_ADDRESS", street, street + 13, 0.9, "test")]
    added = add_repeated_names(findings, text)[2:]
    assert [text[finding.start : finding.end] for finding in added] == ["Ruiz"]
    assert added[0].start == text.rindex("Ruiz")
