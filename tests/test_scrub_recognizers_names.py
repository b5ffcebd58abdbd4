"""Table tests for the PERSON recognizers: text in, matched substrings out (each recognizer alone, no NER)."""

from __future__ import annotations

import pytest
from presidio_analyzer import EntityRecognizer

from scrubbers.recognizers import (
    ContextualNameRecognizer,
    GivenNameRecognizer,
    NameListRecognizer,
    ShapedNameRecognizer,
    SurnameRecognizer,
    TitledNameRecognizer,
    UncasedNameRecognizer,
)
from scrubbers.recognizers.name_lists import fold, folded_unambiguous_names, given_names


def matches(recognizer: EntityRecognizer, text: str) -> list[str]:
    results = recognizer.analyze(text, entities=["PERSON"])
    return sorted({text[r.start : r.end] for r in results}, key=text.index)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # roles and relations, capitalised names of any origin
        ("Vitals taken by nurse Obiageli at 09:10.", ["Obiageli"]),
        ("Collected by her grandson Thabo Mokoena on Friday.", ["Thabo Mokoena"]),
        ("the interpreter (Farzaneh) attended", ["Farzaneh"]),
        ("escalated to my colleague, Radoslav Hrubý, for review", ["Radoslav Hrubý"]),
        ("agent Bongani will call you back", ["Bongani"]),
        ("our executor, Geert-Jan van Dijk, has the papers", ["Geert-Jan van Dijk"]),
        ("his mother-in-law Wanjiru's flat", ["Wanjiru"]),
        # lower case needs a listed name
        ("pls ask nurse fatima to call", ["fatima"]),
        ("the nurse station is closed", []),
        ("my son said no", []),
        # capitalised relation words open headings, not names
        ("Child Health Summary", []),
        ("Patient Portal Support", []),
        # greetings
        ("Hi Ngozi,\nthanks for the update.", ["Ngozi"]),
        ("Good evening Mohammed Rahimi, your card is ready.", ["Mohammed Rahimi"]),
        ("hello priya, how can I help", ["priya"]),
        ("Dear Valued Customer,", []),
        ("Hi team, Hello World", []),
        # sign-offs: the name fills its line
        ("Please call me.\nWarm regards,\nDaniela Bucur\nClaims Handler", ["Daniela Bucur"]),
        ("Noted, thank you. Cheers, Oisín", ["Oisín"]),
        ("Sent from the branch. -- Katarina Lindholm", ["Katarina Lindholm"]),
        ("Thanks,\nCustomer Operations", []),
        ("Best regards,\nThe Billing Team", []),
        ("thanks for your patience", []),
        # verbs that take a person, lower case only
        ("can you let ahmed know", ["ahmed"]),
        ("please tell Sipho the news", ["Sipho"]),
        ("let me know and tell them", []),
        ("Let Me Know, Ask Your Doctor", []),
        ("Ask Questions Early", []),
        ("join accounts with ms. Ofelia please", ["Ofelia"]),
    ],
)
def test_contextual_name(text: str, expected: list[str]) -> None:
    assert matches(ContextualNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Panel: Ferreira, Kowalczyk and Adeyemi.", ["Ferreira", "Kowalczyk", "Adeyemi"]),
        ("invited: elena, tomasz, ayesha and burak", ["elena", "tomasz", "ayesha", "burak"]),
        # an unlisted single word in a list of names is a name too
        ("Shift cover: Olga, Dmitri and Zubeida.", ["Olga", "Dmitri", "Zubeida"]),
        ("Yesterday I phoned Rashid, Hannah and Leonie about it", ["Rashid", "Hannah", "Leonie"]),
        ("Sponsors: Aleksandra Nowak, Kenji Watanabe and Lucía Romero", ["Aleksandra Nowak", "Kenji Watanabe", "Lucía Romero"]),
        # lists of other things
        ("We accept Visa, Mastercard and Amex.", []),
        ("Open Monday, Tuesday and Friday.", []),
        ("Flights to Germany, France and Spain.", []),
        ("Add salt, pepper and oil.", []),
        ("Speed, Ice, Chalk, Crystal, Glass and Meth are street names", []),
        # two single capitalised words, one of them listed
        ("Kadyrov and Pearson founded it", ["Kadyrov", "Pearson"]),
        ("Research and Development", []),
        ("Mexico, Central America and South America", []),
    ],
)
def test_name_list(text: str, expected: list[str]) -> None:
    assert matches(NameListRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customer says this is under jelena markovic", ["jelena markovic"]),
        ("BENEFICIARY: OKAFOR CHINEDU", ["OKAFOR CHINEDU"]),
        ("Admitted: Zhou Jing, 71", ["Zhou Jing"]),
        ("spoke w/ sean o'reilly today", ["sean o'reilly"]),
        # a middle initial joins two listed names
        ("have you met ana m souza today", ["ana m souza"]),
        ("PAYEE: ANA M. SOUZA", ["ANA M. SOUZA"]),
        ("i am so sorry", []),
        # a listed given name and an unlisted family name with a telling ending
        ("pls call ivana zelenková back", ["ivana zelenková"]),
        ("CLAIMANT: IRYNA HRYTSENKO", ["IRYNA HRYTSENKO"]),
        # one listed word alone is not enough; English words never count
        ("ask for ivana at the desk", []),
        ("kidney stones over age 40", []),
        ("THE PATIENT WAS SEEN", []),
        ("Flights via Hong Kong", []),
    ],
)
def test_uncased_name(text: str, expected: list[str]) -> None:
    assert matches(UncasedNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Witness statement by Dragan Petrović, driver.", ["Dragan Petrović"]),
        ("Signed Halyna Kovalenko", ["Halyna Kovalenko"]),
        ("Consultant: Nino Beridze", ["Nino Beridze"]),
        ("Joint account with Fernanda da Silva", ["Fernanda da Silva"]),
        ("paid to Khalid bin Rashid", ["Khalid bin Rashid"]),
        ("Ivana Kovačević's car was towed", ["Ivana Kovačević"]),
        # nationality words, places and street names
        ("Our Italian Restaurant", []),
        ("Shipped to Calle de la Paz 4", []),
        ("Flights to Rio de Janeiro", []),
        ("Anchorage, Alaska", []),
    ],
)
def test_shaped_name(text: str, expected: list[str]) -> None:
    assert matches(ShapedNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # world lists: given names and surnames from many countries
        ("Chiamaka Okeke called", ["Chiamaka Okeke"]),
        ("I spoke to Siddharth about it", ["Siddharth"]),
        # possessives keep the name, not the suffix
        ("Thandiwe's appointment", ["Thandiwe"]),
    ],
)
def test_given_name_world_list(text: str, expected: list[str]) -> None:
    assert matches(GivenNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Payment from Rangi Nakamura received", ["Rangi Nakamura"]),
        ("Ms Zanele Khumalo's claim was paid", ["Zanele Khumalo"]),
        # a surname that is also an English word needs a listed given name before it
        ("Chronic Kidney Disease", []),
        ("Peter Kidney called", ["Peter Kidney"]),
    ],
)
def test_surname_world_list(text: str, expected: list[str]) -> None:
    assert matches(SurnameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("referred by Dr. Jae-won Lim", ["Jae-won Lim"]),
        ("Mr. Jean-Luc Moreau", ["Jean-Luc Moreau"]),
        ("Mrs O'Sullivan", ["O'Sullivan"]),
    ],
)
def test_titled_hyphenated_name(text: str, expected: list[str]) -> None:
    assert matches(TitledNameRecognizer(), text) == expected


def test_lookups_fold_case_and_accents() -> None:
    assert fold("Seán") == fold("SEAN") == "sean"
    assert fold("O’Brien") == "o'brien"
    assert "Chiamaka" in given_names()
    # names that are English words are not taken in any case ("over" from "Över", "grace")
    assert "over" not in folded_unambiguous_names()
    assert "grace" not in folded_unambiguous_names()
    assert "okafor" in folded_unambiguous_names()
