"""Table tests for the recognizers of non-US layouts and the address block growth."""

from __future__ import annotations

import pytest
from presidio_analyzer import PatternRecognizer

from appliance.records import Finding
from scrubbers.address_block import extend_addresses
from scrubbers.recognizers import (
    InternationalPhoneRecognizer,
    InternationalStreetRecognizer,
    LuhnCardRecognizer,
    MilitaryAddressRecognizer,
    PlaceNameRecognizer,
    PostalCodeRecognizer,
)
from scrubbers.recognizers.given_name import GivenNameRecognizer
from scrubbers.recognizers.luhn_card import luhn_valid
from scrubbers.transcript import normalise_for_detection


def matches(recognizer: PatternRecognizer, text: str, threshold: float = 0.4) -> list[str]:
    results = recognizer.analyze(text, entities=recognizer.supported_entities)
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start) if r.score >= threshold]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 on file", ["4111 1111 1111 1111"]),
        ("paid with 6011000990139424", ["6011000990139424"]),
        ("paid with 6011000990139425", []),  # Luhn fails
        ("0000000000000000", []),  # one repeated digit
        ("order 12345678", []),  # too short
    ],
)
def test_luhn_card(text: str, expected: list[str]) -> None:
    assert matches(LuhnCardRecognizer(), text) == expected


def test_luhn_valid() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me on 699 956 915 tomorrow", ["699 956 915"]),
        ("phone: (37) 788-063", ["(37) 788-063"]),
        ("reach us at +44 7700 900123.", ["+44 7700 900123"]),
        ("phone 12 34", []),  # too few digits
    ],
)
def test_international_phone_shapes(text: str, expected: list[str]) -> None:
    assert matches(InternationalPhoneRecognizer(), text, threshold=0.1) == expected


def test_international_phone_needs_a_phone_word_or_a_plus() -> None:
    # Alone the grouped shape scores under every policy threshold; the analyzer's context
    # enhancer lifts it when "call", "phone", ... is nearby (covered in test_scrub_engine_recall).
    assert matches(InternationalPhoneRecognizer(), "It cost 12 500 000 dollars") == []
    assert matches(InternationalPhoneRecognizer(), "+44 7700 900123") == ["+44 7700 900123"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She lives at Rue de la Paix 12, Paris", ["Rue de la Paix 12"]),
        ("Hauptstraße 3a is the office", ["Hauptstraße 3a"]),
        ("Send it to Storgatan 7.", ["Storgatan 7"]),
        ("12 Rue Lepic", ["12 Rue Lepic"]),
        ("See Chapter 12 and Windows 10", []),
        # An English word that ends like a compound street is prose; a real compound still counts.
        ("During 1971, Mayo-Walters invested", []),
        ("Hearing 3 of the inquiry", []),
        ("Kaiserring 5, Mannheim", ["Kaiserring 5"]),
        # Lower case with no street word: a name word SCOWL does not spell, the number ending an address part.
        ("meet me at 2407 tawastintie 6, then lunch", ["2407 tawastintie 6"]),
        ("i have 2 kids aged 5, and a dog", []),
        ("page 3 chapter 12, see above", []),
    ],
)
def test_international_street(text: str, expected: list[str]) -> None:
    assert matches(InternationalStreetRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Street word first, in other languages and scripts
        ("C/ Señores Curas 88", ["C/ Señores Curas 88"]),
        ("Λεωφόρος Συγγρού 119", ["Λεωφόρος Συγγρού 119"]),
        ("Rua Vinte e Cinco de Setembro 1257", ["Rua Vinte e Cinco de Setembro 1257"]),
        ("69 Av Sidi Lakhmi", ["69 Av Sidi Lakhmi"]),
        ("8 avenue Jean Jaurès\n75019 Paris", ["8 avenue Jean Jaurès"]),
        ("Dunajska cesta 5, Ljubljana", []),  # lower-case "cesta" after a name is numbered_street's
        # Lower case: the street word and the number make it an address
        ("36 rue de pologne, cite", ["36 rue de pologne"]),
        ("rue du centre 320", ["rue du centre 320"]),
        ("drops you off at 31 Rue tachkent.", ["31 Rue tachkent"]),
        ("i live at calle mayor 10, madrid", ["calle mayor 10"]),
        ("hersnapvej 18, københavn", ["hersnapvej 18"]),
        ("hauptstrasse 5\n8000 zürich", ["hauptstrasse 5"]),
        # Hungarian: street word after the name
        ("Árpád fejedelem útja 62.", ["Árpád fejedelem útja 62."]),
        ("hegyalja út 98.", ["hegyalja út 98."]),
        # Japanese block numbers with the ward
        ("shipped to 2-4-9 Umeda, Kita-ku, Osaka", ["2-4-9 Umeda, Kita-ku"]),
        ("they won 3-2 Tuesday, Sapporo-shi fans", []),
        # Must not hit: prose around the same words
        ("sent via email 3 times", []),
        ("during 2019 we grew", []),
        ("an avenue for growth in 2024", []),
        ("the plaza was full at 5", []),
        ("in the rue for 3 days", []),
        ("boulevard of broken dreams 2", []),
        ("a bowtie 3 sizes", []),
    ],
)
def test_international_street_more_layouts(text: str, expected: list[str]) -> None:
    found = matches(InternationalStreetRecognizer(), text)
    # Overlapping matches of one street ("928 Λ. Αλεξάνδρας", "Λ. Αλεξάνδρας 14") merge later; each expected one is found.
    assert [span for span in expected if span in found] == expected
    assert all(any(part in span or span in part for span in expected) for part in found), found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She moved from Uruguay to New York.", ["Uruguay", "New York"]),
        ("SHIP TO CANADA", ["CANADA"]),
        ("a washington post", []),  # case-sensitive
    ],
)
def test_place_names(text: str, expected: list[str]) -> None:
    assert matches(PlaceNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My zip code is 35649", ["35649"]),
        ("postcode: SW1A 1AA", ["SW1A 1AA"]),
        ("I have 35649 points", []),
        # after the keyword, every national layout
        ("ZIP: 394 13", ["394 13"]),
        ("CEP 75534-030", ["75534-030"]),
        ("postal code 53-320", ["53-320"]),
        ("Postcode: 7412 SL", ["7412 SL"]),
        ("my zip code is 610", ["610"]),
        ("the zip is 12 km away", []),  # two digits are no postal code
    ],
)
def test_postal_code(text: str, expected: list[str]) -> None:
    assert matches(PostalCodeRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12b Ashgrove Terrace, Harrogate HG1 5EE and", ["Harrogate HG1 5EE"]),
        ("Montréal, QC H3H 1G7.", ["H3H 1G7"]),
        ("Galway, Ireland, H91 X2Y4. You", ["H91 X2Y4"]),
        ("Hauptstraße 17, 10827 Berlin, Germany", ["10827 Berlin"]),
        ("Keizersgracht 221, 1016 DV Amsterdam. Card", ["1016 DV Amsterdam"]),
        ("ul. Długa 15/7, 31-147 Kraków | Email", ["31-147 Kraków"]),
        ("Via Garibaldi 112, 16124 Genova GE, Italy", ["16124 Genova GE"]),
        ("Rua Augusta 20\n1100-053 Lisboa", ["1100-053 Lisboa"]),
        ("Kita-ku, Osaka 530-0001, Japan", ["Osaka 530-0001"]),
        ("Indiranagar, Bengaluru 560038. Customer", ["Bengaluru 560038"]),
        ("42 Beach Road, Bondi NSW 2026, Australia", ["Bondi NSW 2026"]),
        ("Dayton, OH 45402.", ["Dayton, OH 45402"]),
        ("93 y/o male from Scranton, PA, DOB", ["Scranton, PA"]),
        # Must not hit
        ("Thanks, OK.", []),
        ("Yes, IN the end", []),
        ("We sold 2000 Units last year", []),
        ("Total, 5000 Euros.", []),
        ("in 2019 EU Regulation", []),
        ("Call 555-1234", []),
        ("page 12, 3000 Words", []),
        ("Room 1203, 88 Century", []),
        ("model A1 2BC", []),
        ("Name: J. Ruiz; Employee ID 448812; Home", []),
    ],
)
def test_postal_code_with_town_by_national_layout(text: str, expected: list[str]) -> None:
    assert matches(PostalCodeRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can someone call me on 9472 7916? I have", ["9472 7916"]),
        ("text 99 668472 now", ["99 668472"]),
        ("Tel. 954 12 34 56", ["954 12 34 56"]),
        ("stop receiving messages to 699 956 915", ["699 956 915"]),
        ("no message on my registered 668 5702.", ["668 5702"]),
        ("registered in 2019, 1204 members", []),
        ("call our office, ref 2024 118830", []),  # a clause break ends the cue
        ("call me at 3 pm on 12 May", []),
        ("please call 2 times", []),
    ],
)
def test_international_phone_after_a_phone_word(text: str, expected: list[str]) -> None:
    # Scored over the policy threshold without Presidio's context step, which ignores "call" (a spaCy stop word).
    assert matches(InternationalPhoneRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "street_end", "expected"),
    [
        ("12 Oak Street\nApt. 5\nSpringfield, IL 62704\nthanks", 13, "12 Oak Street\nApt. 5\nSpringfield, IL 62704"),
        ("Hauptstraße 3, 10115 Berlin. Then lunch", 13, "Hauptstraße 3, 10115 Berlin"),
        ("12 Oak Street and then we left", 13, "12 Oak Street"),
        ("12 Oak Street\n> Springfield, IL 62704\n\nthanks", 13, "12 Oak Street\n> Springfield, IL 62704"),
        # An export's empty field, a bracketed second name, a district number, list bullets.
        ("3 Via Franscini 71\n   Tujetsch\n    nan\n    7188", 18, "3 Via Franscini 71\n   Tujetsch\n    nan\n    7188"),
        ("9 Jana Nerudy 894\nΑΓΛΑΝΤΖΙΑ (ΑΓΛΑΓΓΙΑ)\n, NI\n Cyprus (Greek) 78891", 17,
         "9 Jana Nerudy 894\nΑΓΛΑΝΤΖΙΑ (ΑΓΛΑΓΓΙΑ)\n, NI\n Cyprus (Greek) 78891"),
        ("7 Redbud Drive\nCite Essanaouber\n, 32\n 60810. It serves", 14, "7 Redbud Drive\nCite Essanaouber\n, 32\n 60810"),
        ("8 Strickstrasse 61\n• Suite 292\n• Zuoz\n• Switzerland 53730", 18, "8 Strickstrasse 61\n• Suite 292\n• Zuoz\n• Switzerland 53730"),
        ("Rua Augusta 12, 3º Esq., 1100-053 Lisboa", 15, "Rua Augusta 12, 3º Esq., 1100-053 Lisboa"),
        ("Bergmannstraße 54, 3. OG links\n10961 Berlin", 17, "Bergmannstraße 54, 3. OG links\n10961 Berlin"),
        ("Porto Alegre - RS, 90619-900", 12, "Porto Alegre - RS, 90619-900"),
        ("ul. Słowicza 10\n   Wrocław\n    nan\n    53-320", 15, "ul. Słowicza 10\n   Wrocław\n    nan\n    53-320"),
        ("Bygget 91\nANNERSTAD\n340 12", 9, "Bygget 91\nANNERSTAD\n340 12"),
        # Lower case: words that could be places (listed, or no English word), a region code, a district letter.
        ("2613 avenida praia 1 suite 463, mohács, hungary 24743", 30, "2613 avenida praia 1 suite 463, mohács, hungary 24743"),
        ("947 trg revolucije 17 apt. 858 begunje na gorenjskem slovenia.", 30,
         "947 trg revolucije 17 apt. 858 begunje na gorenjskem slovenia"),
        ("210 apt. 999\ndelmas, mp 35739", 12, "210 apt. 999\ndelmas, mp 35739"),
        ("255 hersnapvej 18, københavn k", 17, "255 hersnapvej 18, københavn k"),
        # The crossing street of a corner.
        ("ul. Cicha 86 and Leokadia Trail", 12, "ul. Cicha 86 and Leokadia Trail"),
        # Must not grow: a field label after the block, English words after a lowercase address,
        # an English capitalised word that is not a unit, a crossing without a street type.
        ("12 Oak Street\nSpringfield, IL 62704\nMobile: 0490 39 07 81", 13, "12 Oak Street\nSpringfield, IL 62704"),
        ("88 CHURCH ROAD, LONDON E11 3HN\nINCIDENT LOCATION: yard", 14, "88 CHURCH ROAD, LONDON E11 3HN"),
        ("7 Steinfelden 73\nSAVONLINNA\n, SV\n 77233 for this card: 4393", 16, "7 Steinfelden 73\nSAVONLINNA\n, SV\n 77233"),
        ("33 elm st apt 4, thanks so much", 15, "33 elm st apt 4"),
        ("33 elm st, so call me", 9, "33 elm st"),
        ("33 elm st near the park", 9, "33 elm st"),
        ("12 Oak Street and Box office sales", 13, "12 Oak Street"),
        ("12 Oak Street and Mary Jones", 13, "12 Oak Street"),
    ],
)
def test_address_block_growth(text: str, street_end: int, expected: str) -> None:
    [grown] = extend_addresses([Finding("STREET_ADDRESS", 0, street_end, 0.7)], text)
    assert text[grown.start : grown.end] == expected


@pytest.mark.parametrize(
    ("text", "street", "expected"),
    [
        ("Ms H Okafor\nFlat 3, Lindisfarne House\n27 Quayside Walk\nLeeds", "27 Quayside Walk",
         "Flat 3, Lindisfarne House\n27 Quayside Walk\nLeeds"),
        ("À : Résidence Les Tilleuls, Bât. B, 14 rue des Lilas, 69003 Lyon", "14 rue des Lilas",
         "Résidence Les Tilleuls, Bât. B, 14 rue des Lilas, 69003 Lyon"),
        ("Deliver to B-504 Sai Krupa Apartments, Link Road Complex, 12 Hill Road", "12 Hill Road",
         "B-504 Sai Krupa Apartments, Link Road Complex, 12 Hill Road"),
        ("apartment 12, 340 Queen Street West", "340 Queen Street West", "apartment 12, 340 Queen Street West"),
        # Must not grow: prose before the street, a building word with nothing before it.
        ("Thanks, 12 Oak Street", "12 Oak Street", "12 Oak Street"),
        ("Sent from my House, 12 Oak Street", "12 Oak Street", "12 Oak Street"),
    ],
)
def test_unit_or_building_before_a_street_joins_it(text: str, street: str, expected: str) -> None:
    start = text.index(street)
    [grown] = extend_addresses([Finding("STREET_ADDRESS", start, start + len(street), 0.6)], text)
    assert text[grown.start : grown.end] == expected


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("It's in 0269 Stensås terrasse 38\n Suite 621\n ARENDAL\n Norway", "Suite 621",
         "0269 Stensås terrasse 38\n Suite 621\n ARENDAL\n Norway"),
        ("Dataweave\n\nFuglie 41 Popović Dam\n Suite 860\n UPPLANDS VÄSBY", "Suite 860",
         "Fuglie 41 Popović Dam\n Suite 860\n UPPLANDS VÄSBY"),
        ("address: Merineitsi põik 87 van Gijn Summit\n Suite 364\n Melliste", "Suite 364",
         "Merineitsi põik 87 van Gijn Summit\n Suite 364\n Melliste"),
        # The sentence that introduces the street is not part of it; a line without a number is no street.
        ("I once lived in 178 Piermark Zak Points\n Apt. 335\n Albany", "Apt. 335", "178 Piermark Zak Points\n Apt. 335\n Albany"),
        ("Please call Reception\nSuite 4\nAlbany", "Suite 4", "Suite 4\nAlbany"),
        ("We met on May 12\n\nSuite 4", "Suite 4", "Suite 4"),
    ],
)
def test_street_line_above_a_unit_line_joins_the_block(text: str, unit: str, expected: str) -> None:
    start = text.index(unit)
    [grown] = extend_addresses([Finding("STREET_ADDRESS", start, start + len(unit), 0.5)], text)
    assert text[grown.start : grown.end] == expected


@pytest.mark.parametrize(
    ("text", "place", "expected"),
    [
        ("a year at Numedii in Villafranca del Cid, which", "Villafranca", "Villafranca del Cid"),
        ("Where: Unionville (Orange) Country Club.", "Unionville", "Unionville (Orange)"),
        ("pay tribute here to the United States. Producer", "the United States", "United States"),
        ("Newcastle upon Tyne NE1 3DX", "Newcastle", "Newcastle upon Tyne NE1 3DX"),
        ("ΚΑΤΩ ΠΟΛΕΜΙ∆ΙΑ, Cyprus", "ΚΑΤΩ ΠΟΛΕΜΙ", "ΚΑΤΩ ΠΟΛΕΜΙ∆ΙΑ"),
        # Must not grow: an English joiner, a lowercase word after the joiner.
        ("flew to Paris on Monday", "Paris", "Paris"),
        ("lives in Lyon de facto", "Lyon", "Lyon"),
    ],
)
def test_place_name_completed(text: str, place: str, expected: str) -> None:
    start = text.index(place)
    [grown] = extend_addresses([Finding("LOCATION", start, start + len(place), 0.6)], text)
    assert text[grown.start : grown.end] == expected


def test_house_number_before_a_found_street_joins_it() -> None:
    text = "Ship to 28245 Puruntie 82 today"
    [grown] = extend_addresses([Finding("STREET_ADDRESS", 14, 25, 0.6)], text)
    assert text[grown.start : grown.end] == "28245 Puruntie 82"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PSC 3294, Box 9168\nAPO AA 61487", ["PSC 3294, Box 9168", "APO AA 61487"]),
        ("USNS Kent\nFPO AE 09499", ["USNS Kent", "FPO AE 09499"]),
        # Lowercased exports keep the shapes: a 3-5 digit unit with a box, AA/AE/AP with a ZIP.
        ("psc 5420, box 2708\napo aa 33879", ["psc 5420, box 2708", "apo aa 33879"]),
        ("unit 1009 box 0219\ndpo ap 51065", ["unit 1009 box 0219", "dpo ap 51065"]),
        ("uscgc aslakhanov\nfpo ae 44941", ["uscgc aslakhanov", "fpo ae 44941"]),
        ("the apo a protein and unit 4 of box 2", []),
        ("uss the best\nthen", []),
    ],
)
def test_military_address(text: str, expected: list[str]) -> None:
    assert matches(MilitaryAddressRecognizer(), text) == expected


def test_country_takes_its_postal_code() -> None:
    text = "Montevideo\nUruguay 64677"
    [grown] = extend_addresses([Finding("LOCATION", 11, 18, 0.6)], text)
    assert text[grown.start : grown.end] == "Uruguay 64677"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Johannes Varvio called", ["Johannes Varvio"]),
        ("Faina D. Yefremova signed", ["Faina D. Yefremova"]),
        ("Ask Sophie.", ["Sophie"]),
        ("The Main Street Bank", []),
        ("sophie called", []),  # lowercase: left to NER and the introduction patterns
    ],
)
def test_given_name(text: str, expected: list[str]) -> None:
    assert matches(GivenNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("call me at five five five, one two one two please", "call me at 555-1212 please"),
        ("it's john dot smith at gmail dot com ok", "it's john.smith@gmail.com ok"),
        ("SSN 123\u200b-45-\u200b6789", "SSN 123-45-6789"),
        ("I have one or two cats", None),
        ("call 555-1212", None),
    ],
)
def test_transcript_normalisation(text: str, normalised: str | None) -> None:
    result = normalise_for_detection(text)
    assert (result.text if result else None) == normalised


def test_transcript_offsets_map_back() -> None:
    text = "email john dot smith at gmail dot com now"
    result = normalise_for_detection(text)
    start = result.text.index("john")
    end = result.text.index(" now")
    assert result.original_span(start, end) == (6, text.index(" now"))


@pytest.mark.parametrize(
    ("text", "entity_type", "original"),
    [
        ("please call five five five, one two three, four five six seven", "PHONE_NUMBER", "five five five, one two three, four five six seven"),
        ("write to john dot smith at gmail dot com", "EMAIL_ADDRESS", "john dot smith at gmail dot com"),
        ("SSN 123\u200b-45-6789 on file", "US_SSN", "123\u200b-45-6789"),
    ],
)
def test_scrubber_finds_spoken_and_hidden_pii(text: str, entity_type: str, original: str) -> None:
    from policies import load_policy
    from scrubbers.detect_file import DETECTION_ONLY_SALT
    from scrubbers.engine import Scrubber

    [findings] = Scrubber(load_policy("default"), salt=DETECTION_ONLY_SALT).detect([text])
    assert [(f.entity_type, text[f.start : f.end]) for f in findings] == [(entity_type, original)]
