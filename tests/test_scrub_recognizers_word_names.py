"""Table tests for names that are also words (WordNameRecognizer), speakers named so, and the names joined to a found name."""

from __future__ import annotations

import pytest

from appliance.records import Finding
from scrubbers.name_neighbours import add_neighbouring_names
from scrubbers.recognizers import SpeakerLabelRecognizer, WordNameRecognizer


def matches(text: str) -> list[str]:
    results = sorted(WordNameRecognizer().analyze(text, entities=["PERSON"]), key=lambda r: r.start)
    return [text[r.start : r.end] for r in results]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a verb of speech or thought after it
        ("Care log: Summer said the chair would not fit.", ["Summer"]),
        ("At handover Grace reported that the patient refused lunch.", ["Grace"]),
        ("Hunter has told the family about the delay.", ["Hunter"]),
        ("Brown explained the charges twice.", ["Brown"]),
        # a person's relation or possession
        ("Hope's husband called about the claim.", ["Hope"]),
        ("We spoke to Walker's daughter on Monday.", ["Walker"]),
        # addressed at the start of a line
        ("Faith, can you pick this up today?", ["Faith"]),
        ("> Bishop, could you check the reading?", ["Bishop"]),
        # names joined by "and" before what people do
        ("Usamov and Bowers were precision engineers.", ["Usamov", "Bowers"]),
        ("Okereke, Baker and Lindqvist-Osei signed the report.", ["Okereke", "Baker", "Lindqvist-Osei"]),
        # words that are names only in other sentences
        ("Summer arrived early this year.", []),  # not a verb only people do
        ("Summer said to be the busiest season.", []),  # said of a thing
        ("The Hunter said nothing of the kind.", []),  # after an article it is a title or a thing
        ("The Council said the road would close. King said so too.", []),  # institutions and ranks say things
        ("Apple confirmed the outage; Shell reported profits.", []),
        ("Monday said it all.", []),  # weekdays and months are never names
        ("Microsoft and Google were fined.", []),  # joined words that no list names
        ("Salt and Pepper were on the table.", []),
        ("Discipline's children", []),  # a plain word, not a listed name
        ("Paris said yes.", []),  # a place
    ],
)
def test_names_that_are_words_in_a_person_context(text: str, expected: list[str]) -> None:
    assert matches(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ella: What a wife.\nDestiny: Remember me, Maria?", ["Ella", "Destiny"]),
        ("Maria: hello\nOutcome: late", ["Maria"]),  # a plain word stays a field
        # transcripts in capitals: a title stays outside, roles and headings are no speakers
        ("NURSE: Any pain?\nMRS ADEBAYO: A little.\nNURSE: Where?\nMRS ADEBAYO: Here.", ["ADEBAYO", "ADEBAYO"]),
        ("INTERVIEWER: When?\nDESTINY: In March.\nINTERVIEWER: Then?\nDESTINY: May.", ["DESTINY", "DESTINY"]),
        ("INTERVIEWER: When?\nDESTINY: In March.", []),  # in capitals a name that is a word must speak twice
        ("NOTE: call back\nURGENT: yes\nNOTE: done", []),
        ("OKAFOR: alone, no dialogue", []),
        # a turn's time, a role before the name, a name in brackets
        ("[09:14] Olumide: Hi.\n[09:15] Haruka: Hello.", ["Olumide", "Haruka"]),
        ("[09:14] Agent Precious: Thank you for calling.\n[09:14] Caller: Hi.", ["Precious"]),
        ("Speaker 1 (Marguerite): I think so.\nSpeaker 2 (Obi): Me too.", ["Marguerite", "Obi"]),
        ("Agent Note: call back. Speaker 1 (Summary): none\n[10:00] Status: open", []),
        ("PATIENT: NGUYEN THI HOA\nREFERRING: DR. PHAM\nREASON: follow-up", []),  # a form in capitals
    ],
)
def test_a_name_that_is_a_word_speaks_once_in_a_dialogue(text: str, expected: list[str]) -> None:
    results = sorted(SpeakerLabelRecognizer().analyze(text, entities=["PERSON"]), key=lambda r: r.start)
    assert [text[r.start : r.end] for r in results] == expected


def neighbours(text: str, name: str) -> list[str]:
    start = text.index(name)
    found = add_neighbouring_names([Finding("PERSON", start, start + len(name), 0.85, "test")], text)
    return [text[finding.start : finding.end] for finding in found[1:]]


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("so Hunter and Rowan carried it upstairs", "Rowan", ["Hunter"]),
        ("Cover: Sipho and Lerato.", "Sipho", ["Lerato"]),
        ("Attendees: Baker, Brown and Haverkamp", "Haverkamp", ["Brown", "Baker"]),  # a list, a neighbour a round
        ("Panel: Okereke, Mbeki-Dube", "Mbeki-Dube", []),  # a bare comma joins no unknown word
        ("Warm regards,\nFaith Marshall\nCustomer Relations", "Marshall", ["Faith"]),  # a first name that is a word
        # neighbours that are no names
        ("Tuesday, John will call.", "John", []),
        ("between Paris and Jean", "Jean", []),
        ("the Council and Smith agreed", "Smith", []),
        ("Kjersti Haugland\nFastlege, Storgata legesenter", "Storgata", []),  # a bare comma joins only listed names
        ("The Orchestra Smith conducted", "Smith", []),  # a plain word before a name is not its first name
    ],
)
def test_names_joined_to_a_found_name(text: str, name: str, expected: list[str]) -> None:
    assert neighbours(text, name) == expected
