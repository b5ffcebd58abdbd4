"""Our own recognizers, one module each; the engine adds Presidio's predefined ones beside them."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from scrubbers.recognizers.account_number import AccountNumberRecognizer
from scrubbers.recognizers.address_unit import AddressUnitRecognizer
from scrubbers.recognizers.age_over_89 import AgeOver89Recognizer
from scrubbers.recognizers.agent_name import AgentNameRecognizer
from scrubbers.recognizers.date_of_birth import DateOfBirthRecognizer
from scrubbers.recognizers.double_barrelled_name import DoubleBarrelledNameRecognizer
from scrubbers.recognizers.driver_licence import DriverLicenceRecognizer
from scrubbers.recognizers.email_address import EmailAddressRecognizer
from scrubbers.recognizers.facility import FacilityRecognizer
from scrubbers.recognizers.given_name import GivenNameRecognizer
from scrubbers.recognizers.iban_any_case import IbanAnyCaseRecognizer
from scrubbers.recognizers.international_phone import InternationalPhoneRecognizer
from scrubbers.recognizers.international_street import InternationalStreetRecognizer
from scrubbers.recognizers.lone_name import LoneNameRecognizer
from scrubbers.recognizers.luhn_card import LuhnCardRecognizer
from scrubbers.recognizers.medical_record_number import MedicalRecordNumberRecognizer
from scrubbers.recognizers.military_address import MilitaryAddressRecognizer
from scrubbers.recognizers.name_context import ContextualNameRecognizer
from scrubbers.recognizers.name_line import NameLineRecognizer
from scrubbers.recognizers.name_list import NameListRecognizer
from scrubbers.recognizers.name_phrase import NamePhraseRecognizer
from scrubbers.recognizers.name_shape import ShapedNameRecognizer
from scrubbers.recognizers.numbered_street import NumberedStreetRecognizer
from scrubbers.recognizers.place_name import PlaceNameRecognizer
from scrubbers.recognizers.place_phrase import PlacePhraseRecognizer
from scrubbers.recognizers.policy import policy_recognizers
from scrubbers.recognizers.postal_code import PostalCodeRecognizer
from scrubbers.recognizers.speaker_label import SpeakerLabelRecognizer
from scrubbers.recognizers.street_address import StreetAddressRecognizer
from scrubbers.recognizers.street_name import StreetNameRecognizer
from scrubbers.recognizers.surname import SurnameRecognizer
from scrubbers.recognizers.titled_name import TitledNameRecognizer
from scrubbers.recognizers.uncased_name import UncasedNameRecognizer
from scrubbers.recognizers.unknown_full_name import UnknownFullNameRecognizer
from scrubbers.recognizers.unknown_place import UnknownPlaceRecognizer
from scrubbers.recognizers.us_phone import UsPhoneRecognizer
from scrubbers.recognizers.us_ssn import DashedSsnRecognizer
from scrubbers.recognizers.word_name import WordNameRecognizer
from scrubbers.recognizers.written_date import WrittenDateRecognizer


def custom_recognizers() -> list[EntityRecognizer]:
    """A new instance of each, so every analyzer owns its recognizers (Presidio tracks them by id)."""
    return [
        AccountNumberRecognizer(),
        AddressUnitRecognizer(),
        AgeOver89Recognizer(),
        AgentNameRecognizer(),
        ContextualNameRecognizer(),
        DateOfBirthRecognizer(),
        DoubleBarrelledNameRecognizer(),
        DriverLicenceRecognizer(),
        EmailAddressRecognizer(),
        FacilityRecognizer(),
        GivenNameRecognizer(),
        IbanAnyCaseRecognizer(),
        InternationalPhoneRecognizer(),
        InternationalStreetRecognizer(),
        LoneNameRecognizer(),
        LuhnCardRecognizer(),
        MedicalRecordNumberRecognizer(),
        MilitaryAddressRecognizer(),
        NameLineRecognizer(),
        NameListRecognizer(),
        NamePhraseRecognizer(),
        NumberedStreetRecognizer(),
        PlaceNameRecognizer(),
        PlacePhraseRecognizer(),
        PostalCodeRecognizer(),
        ShapedNameRecognizer(),
        SpeakerLabelRecognizer(),
        StreetAddressRecognizer(),
        StreetNameRecognizer(),
        SurnameRecognizer(),
        TitledNameRecognizer(),
        UncasedNameRecognizer(),
        UnknownFullNameRecognizer(),
        UnknownPlaceRecognizer(),
        UsPhoneRecognizer(),
        DashedSsnRecognizer(),
        WordNameRecognizer(),
        WrittenDateRecognizer(),
    ]


__all__ = [
    "AccountNumberRecognizer",
    "AddressUnitRecognizer",
    "AgeOver89Recognizer",
    "AgentNameRecognizer",
    "ContextualNameRecognizer",
    "DashedSsnRecognizer",
    "DateOfBirthRecognizer",
    "DoubleBarrelledNameRecognizer",
    "DriverLicenceRecognizer",
    "EmailAddressRecognizer",
    "FacilityRecognizer",
    "GivenNameRecognizer",
    "IbanAnyCaseRecognizer",
    "InternationalPhoneRecognizer",
    "InternationalStreetRecognizer",
    "LoneNameRecognizer",
    "LuhnCardRecognizer",
    "MedicalRecordNumberRecognizer",
    "MilitaryAddressRecognizer",
    "NameLineRecognizer",
    "NameListRecognizer",
    "NamePhraseRecognizer",
    "NumberedStreetRecognizer",
    "PlaceNameRecognizer",
    "PlacePhraseRecognizer",
    "PostalCodeRecognizer",
    "ShapedNameRecognizer",
    "SpeakerLabelRecognizer",
    "StreetAddressRecognizer",
    "StreetNameRecognizer",
    "SurnameRecognizer",
    "TitledNameRecognizer",
    "UncasedNameRecognizer",
    "UnknownFullNameRecognizer",
    "UnknownPlaceRecognizer",
    "UsPhoneRecognizer",
    "WordNameRecognizer",
    "WrittenDateRecognizer",
    "custom_recognizers",
    "policy_recognizers",
]
