"""Table tests for the gazetteer and phrase recognizers: places, numbered streets, address units, given names."""

from __future__ import annotations

import pytest
from presidio_analyzer import EntityRecognizer

from scrubbers.recognizers import (
    AddressUnitRecognizer,
    FacilityRecognizer,
    NumberedStreetRecognizer,
    PlaceNameRecognizer,
    PlacePhraseRecognizer,
    StreetNameRecognizer,
)
from scrubbers.recognizers.given_name import GivenNameRecognizer


def matches(recognizer: EntityRecognizer, text: str, threshold: float = 0.4) -> list[str]:
    results = recognizer.analyze(text, recognizer.supported_entities, None)
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start) if r.score >= threshold]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our office in Guadalajara ships to Mexico", ["Guadalajara", "Mexico"]),
        ("flights from OSLO and ABUJA", ["OSLO", "ABUJA"]),
        ("She studied in São Paulo.", ["São Paulo"]),
        ("aid to the Democratic Republic of the Congo", ["Democratic Republic of the Congo"]),
        ("Guinea-Bissau, then Nova Scotia", ["Guinea-Bissau", "Nova Scotia"]),
        ("New\nYork", ["York"]),  # a line break ends a name
        ("a washington post", []),  # lowercase prose
        ("Reading the Mobile app on a Nice day", []),  # English words were removed from the city list
        ("Przemek\n\nALFRICK\nUnited Kingdom", ["ALFRICK", "United Kingdom"]),  # town line above a country line
        ("> Suite 8\n> Ostrov nad Ohrí\n> Czech Republic 56604", ["Ostrov nad Ohrí", "Czech Republic"]),
        ("The report covers\nAustria and more", ["Austria"]),  # wrapped prose is not a town line
    ],
)
def test_place_names_from_gazetteers(text: str, expected: list[str]) -> None:
    assert matches(PlaceNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Lower case counts after a word that announces a place, or right after another place
        ("moved to lisbon, portugal last year", ["lisbon", "portugal"]),
        ("the billing zip is in atlanta georgia", ["atlanta", "georgia"]),
        ("i live in new orleans now", ["new orleans"]),
        ("flew from oslo to nairobi", ["oslo", "nairobi"]),
        # ... and not elsewhere, nor for places that are also English words, nor for small towns
        ("a washington post", []),
        ("the china cabinet", []),
        ("stuffing in turkey tonight", []),
        ("rising in phoenix fashion", []),
        ("in marke now", []),
        # ... except a small town of several words, one of them no English word, after a cue
        ("she moved to mount waverley last year", ["mount waverley"]),
        ("lives in walla walla now", ["walla walla"]),
        ("flew to moose jaw", []),  # every word English
        ("in new town centre", []),
        # Towns of 15,000 people and more, and local forms of European cities, when capitalised
        ("she moved to TROMSØ and then Maribor", ["TROMSØ", "Maribor"]),
        ("shipped from Genova to København", ["Genova", "København"]),
        ("Split the bill, the Police said", []),  # towns that are English words are not listed
        # Capitals often drop accents: matched without them
        ("flights to MONTREAL and ZURICH", ["MONTREAL", "ZURICH"]),
        ("ΛΕΥΚΩΣΙΑ\nCyprus", ["ΛΕΥΚΩΣΙΑ", "Cyprus"]),
        ("Caller: SALE ends today, said the Caller from Salé", ["Salé"]),  # accents kept where the bare form is a word
    ],
)
def test_place_names_in_lower_case_and_small_towns(text: str, expected: list[str]) -> None:
    assert matches(PlaceNameRecognizer(), text) == expected


def test_each_gazetteer_is_read_once() -> None:
    from scrubbers.recognizers.place_name import gazetteer
    from scrubbers.recognizers.wordlist import read_list

    gazetteer.cache_clear()
    read_list.cache_clear()
    gazetteer()
    gazetteer()
    assert read_list.cache_info().misses == 4  # places, cities, towns, place_words: one read each


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Larsen flew to MÖNSTERÅS on Thursday", ["MÖNSTERÅS"]),
        ("she grew up in Kvaløysletta.", ["Kvaløysletta"]),
        ("I'm originally from Villafranca del Cid, and", ["Villafranca del Cid"]),
        ("studied at the University of Tromsø", ["Tromsø"]),
        ("we moved here from Little Rock last year", ["Little Rock"]),
        ("he moved to tears", []),
        ("she lives in fear", []),
        ("they moved to The office on Monday", []),
        ("born in March", []),
        ("Where: Erwetegem Country Club.", ["Erwetegem Country Club"]),
        ("the band's home city Villafranca del Cid: White", ["Villafranca del Cid"]),
        ("looking to support Allianz in Acquapendente 1021 in its mission", ["Acquapendente 1021"]),
        ("in ÖVERTURINGEN 840 24 in", ["ÖVERTURINGEN 840 24"]),
        ("running in Windows 2000 there", []),  # a year is not a postal code
    ],
)
def test_place_after_travel_or_residence_phrase(text: str, expected: list[str]) -> None:
    assert matches(PlacePhraseRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it to 28030 Edeby 55\nApt. 297", ["28030 Edeby 55"]),
        ("his address: 87331 Dunajska 56, Studenec", ["87331 Dunajska 56"]),
        ("53 Σκαφίδια 148\n", ["53 Σκαφίδια 148"]),
        ("ship to 17693 Király u. 15.\nLyss", ["17693 Király u. 15."]),
        ("address: Dunajska 56, Studenec", ["Dunajska 56"]),
        ("The bus station is on Villacher Strasse 89", ["Villacher Strasse 89"]),
        ("The restaurant is at 214 Pavlou Drandaki", ["214 Pavlou Drandaki"]),
        ("it is the corner of Dalbraut 99 and Frederikke Coves", ["Dalbraut 99 and Frederikke Coves"]),
        ("stop at the corner of 3744 Retreat Avenue and Władysława Route", ["3744 Retreat Avenue and Władysława Route"]),
        ("the corner of 11 Botley Road St. and Herceg Gateway St.", ["11 Botley Road St. and Herceg Gateway St."]),
        ("at the corner of the street and then", []),
        ("payment due 30 June 2025, thank you", []),  # a date, not a street between numbers
        ("signed on 3 March 2021; filed", []),
        ("In 2019 Windows 10\nshipped", []),  # a year is not a house number
        ("See Chapter 12, then", []),  # no number before, no address cue
        ("The meeting is at 3 PM.", []),  # a time is not a street
    ],
)
def test_numbered_street(text: str, expected: list[str]) -> None:
    assert matches(NumberedStreetRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Suite 829\nSint Anthonis", ["Suite 829"]),
        ("apt. 139, Main", ["apt. 139"]),
        ("Flat 3, 27 Wellington Road", ["Flat 3"]),
        ("Unit 12B", ["Unit 12B"]),
        ("APT #5", ["APT #5"]),
        ("unit 4 of the course", []),  # lowercase unit is a lesson, not a flat
        ("a flat 3% fee", []),
        ("Office Suite 2010 licence", []),  # a year
    ],
)
def test_address_unit(text: str, expected: list[str]) -> None:
    assert matches(AddressUnitRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moves to 4th Floor, 22 Hanover Square, London", ["4th Floor"]),
        ("Room 1203, 88 Century Avenue, Pudong", ["Room 1203"]),
        ("unit #12-04, 8 marina view, singapore", ["unit #12-04"]),
        ("new address Blk 45 Tampines Street 42", ["Blk 45"]),
        ("meet in Room 12 at 3", []),
        ("on the 4th floor today", []),
        ("Level 3, 5 minutes later", []),
        ("block 4 of the course", []),
    ],
)
def test_unit_floor_or_block_before_a_street(text: str, expected: list[str]) -> None:
    assert matches(AddressUnitRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tiffany Murdock called", ["Tiffany Murdock"]),
        ("ask for Thaddeus.", ["Thaddeus"]),
        ("Tiffany's car", ["Tiffany"]),
        ("Gwendolyn R. Okafor signed", ["Gwendolyn R. Okafor"]),
        ("Faith in the process", []),  # given names that are English words are not listed
        ("a dexter move", []),  # lowercase
    ],
)
def test_given_names_from_census_list(text: str, expected: list[str]) -> None:
    assert matches(GivenNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my grandmother was called Crystal Murdock", ["Crystal Murdock"]),
        ("\"It is moving,\" says Lugo.", ["Lugo"]),
        ("everyone calls me Tilly", ["Tilly"]),
        ("What's your last name? Boyle", ["Boyle"]),
        ("Please call me when you're here.", []),
        ("Dear Mr Smith", []),  # the title is TitledNameRecognizer's
        ("The company said Tuesday", []),
        ("Date: 2003-08-28\nName: Sieda Batukayev\nPhone: 555", ["Sieda Batukayev"]),
        ("PATIENT NAME: JOHN Q PUBLIC", ["JOHN Q PUBLIC"]),
        ("File name: report", []),
    ],
)
def test_names_after_naming_words_and_speaker_labels(text: str, expected: list[str]) -> None:
    from scrubbers.recognizers import NamePhraseRecognizer

    assert matches(NamePhraseRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22 498317 office", ["22 498317"]),
        ("(69) 948-538-Office", ["(69) 948-538"]),
        ("085 175 7641-Office, 3660170548-Fax", ["085 175 7641", "3660170548"]),
        ("order 3660170548 shipped to the office", []),  # a label word later in the sentence is no label
        ("It cost 12 500 000 dollars", []),  # no label: under the threshold
    ],
)
def test_phone_with_label_after(text: str, expected: list[str]) -> None:
    from scrubbers.recognizers import InternationalPhoneRecognizer

    assert matches(InternationalPhoneRecognizer(), text) == expected


def test_us_phone_with_international_access_prefix() -> None:
    from scrubbers.recognizers import UsPhoneRecognizer

    assert matches(UsPhoneRecognizer(), "fax 001-668-040-8670x1711 now") == ["001-668-040-8670x1711"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Have you been to a Homero Portillo concert?", ["Homero Portillo"]),
        ("a tribute to Vilmer Holmberg", ["Vilmer Holmberg"]),
        ("Mary J. Rodriguez said", ["Mary J. Rodriguez"]),
        ("The Thompson report", []),  # a function word is not a given name
        ("Cautionary Tales and Walk Score", []),  # not listed surnames
        ("homero portillo", []),  # lowercase is left to other cues
    ],
)
def test_unknown_given_name_before_a_listed_surname(text: str, expected: list[str]) -> None:
    from scrubbers.recognizers import SurnameRecognizer

    assert matches(SurnameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("drops you off at 8116 56 rue La Boétie St.", ["8116 56 rue La Boétie St."]),
        ("send to 420 Gairbekov Rapids\nApt. 5", ["420 Gairbekov Rapids"]),  # the unit line is AddressUnitRecognizer's
        ("at 12 Oak Creek Rd", ["12 Oak Creek Rd"]),
        ("2010 Oak Valley Road", ["2010 Oak Valley Road"]),
        ("in 2010 Silicon Valley grew", []),  # a year
        ("fill the 3 Required Fields", []),  # suffixes that are common nouns are not listed
        ("a 5 Minute Walk away", []),
    ],
)
def test_street_suffixes_and_international_names(text: str, expected: list[str]) -> None:
    from scrubbers.recognizers import StreetAddressRecognizer

    assert matches(StreetAddressRecognizer(), text) == expected


def test_a_role_word_before_a_name_is_not_its_given_name() -> None:
    from scrubbers.recognizers import SurnameRecognizer

    assert matches(SurnameRecognizer(), "Customer Maria Lopez called") == ["Maria Lopez"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zuzana: \"Who are you?\"\nÉva: I'm her daughter.", ["Zuzana", "Éva"]),  # a quoted turn makes a dialogue: its one-off speaker too
        ("Marcus Webb: hello\nJenny: hi\nMarcus Webb: bye\nJenny: ok", ["Marcus Webb", "Jenny", "Marcus Webb", "Jenny"]),
        ("Project Bluebird: Maria met Dr. Alvarez.", []),  # one unquoted label is a field
        ("Date: 2015-12-22\nDate: 2016-01-01\nDirected By: Lukas", []),  # field labels never count
    ],
)
def test_speaker_labels(text: str, expected: list[str]) -> None:
    from scrubbers.recognizers import SpeakerLabelRecognizer

    assert matches(SpeakerLabelRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my iban is gb82west12345698765432", ["gb82west12345698765432"]),
        ("IBAN: DE89 3704 0044 0532 0130 00.", ["DE89 3704 0044 0532 0130 00"]),
        ("my iban is gb82west12345698765433", []),  # check digits fail
        ("order ab12cdef34567890", []),
    ],
)
def test_iban_in_any_case(text: str, expected: list[str]) -> None:
    from scrubbers.recognizers import IbanAnyCaseRecognizer

    assert matches(IbanAnyCaseRecognizer(), text) == expected


def test_sending_money_to_an_account_is_not_travel() -> None:
    assert matches(PlacePhraseRecognizer(), "The balance will be sent to IBAN DE89 3704; transferred to Savings") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the client lives on Maple Avenue with her daughter", ["Maple Avenue"]),
        ("just off Old Kent Road, past the station", ["Old Kent Road"]),
        ("at the corner of 5th Avenue and the park", ["5th Avenue"]),
        ("stopped on Rua Augusta near the square", ["Rua Augusta"]),
        ("Rendezvous Rue Oberkampf, then dinner", ["Rue Oberkampf"]),
        ("sent from Calle de Alcalá yesterday", ["Calle de Alcalá"]),
        ("a flat on Via Roma", ["Via Roma"]),
        ("The street is Biltstraat, by the canal", ["Biltstraat"]),
        ("she moved from Hauptstraße to Storgatan", ["Hauptstraße", "Storgatan"]),
        # Must not hit: a street type with no cue, a preposition "Via", a court, a day, an English compound ("-tie" is left out).
        ("the Wall Street Journal reported", []),
        ("Via Amazon, the parcel came", []),
        ("appeared at Southwark Crown Court", []),
        ("a Main Street business", []),
        ("he is on Death Row", []),
        ("Sent on Monday Street food was served", []),
        ("wearing a Bowtie", []),
    ],
)
def test_street_named_without_a_house_number(text: str, expected: list[str]) -> None:
    assert matches(StreetNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("was seen at Waikato Hospital and discharged", ["Waikato Hospital"]),
        ("a walk from Riverside Community Hospital.", ["Riverside Community Hospital"]),
        ("GP: Casuarina Medical Centre", ["Casuarina Medical Centre"]),
        ("admitted to St. Olavs Hospital", ["St. Olavs Hospital"]),
        ("transferred to Hospital Civil de Guadalajara", ["Hospital Civil de Guadalajara"]),
        ("seen at Klinikum Schwabing", ["Klinikum Schwabing"]),
        ("move from the leeds branch to head office", ["leeds"]),
        ("our Ballincollig depot", ["Ballincollig"]),
        # Must not hit: a department, a generic hospital, "Hospital" before an English word, an
        # English word as a branch, a place that is also an English word in lower case.
        ("referred to the Cardiology Clinic", []),
        ("the General Hospital called", []),
        ("the Hospital Trust said", []),
        ("our new office", []),
        ("the reading office", []),
        ("the Sleep Clinic and the University Hospital", []),
    ],
)
def test_facilities_and_branches_named_after_a_place(text: str, expected: list[str]) -> None:
    assert matches(FacilityRecognizer(), text) == expected
