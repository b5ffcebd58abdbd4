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
    ],
)
def test_international_street(text: str, expected: list[str]) -> None:
    assert matches(InternationalStreetRecognizer(), text) == expected


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
    ],
)
def test_postal_code(text: str, expected: list[str]) -> None:
    assert matches(PostalCodeRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "street_end", "expected"),
    [
        ("12 Oak Street\nApt. 5\nSpringfield, IL 62704\nthanks", 13, "12 Oak Street\nApt. 5\nSpringfield, IL 62704"),
        ("Hauptstraße 3, 10115 Berlin. Then lunch", 13, "Hauptstraße 3, 10115 Berlin"),
        ("12 Oak Street and then we left", 13, "12 Oak Street"),
        ("12 Oak Street\n> Springfield, IL 62704\n\nthanks", 13, "12 Oak Street\n> Springfield, IL 62704"),
    ],
)
def test_address_block_growth(text: str, street_end: int, expected: str) -> None:
    [grown] = extend_addresses([Finding("STREET_ADDRESS", 0, street_end, 0.7)], text)
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
        ("the apo aa 61487 unit", []),
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
