"""LOCATION: hospitals, clinics and branches named after a place ("Waikato Hospital", "Hospital Civil de Guadalajara", "the leeds branch").

Clinical de-identification guidelines treat a named hospital or clinic as a location: it
places the patient as surely as the town. The facility word makes the name recognisable
("Royal Darwin Hospital", "St. Olavs Hospital", "Klinikum Schwabing"), but a department
or a generic facility is no place ("Cardiology Clinic", "the General Hospital"), so one
word of the name must be something other than a generic or medical word. A branch, office
or depot named after a town ("our Gdańsk office", "the leeds branch") names that town: a
capitalised word SCOWL does not spell, or a listed place in any case, before such a word
counts.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import fold
from scrubbers.recognizers.place_name import gazetteer, is_listed_place

SCORE = 0.5
FACILITY_AFTER = (
    r"(?:Hospital|Infirmary|Clinic|Medical[ \t]+(?:Centre|Center|Practice)|Health[ \t]+(?:Centre|Center)|Hospice|"
    r"Sanatorium|Polyclinic|Nursing[ \t]+Home|Care[ \t]+Home|Klinikum|Klinik|Kliniken|Klinika|Ziekenhuis|"
    r"Sykehus|Sjukhus|Sygehus|Legesenter|legesenter|Vårdcentral|Krankenhaus|Spital|Kórház)"
)
NAME_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*|St\.?|Saint)"
JOINER = r"(?:de|del|della|di|da|do|dos|das|du|des|la|le|el|of|on|upon|am|an|der|van|von)"
NAMED_FACILITY = regex.compile(
    rf"(?<![\w-])(?P<place>{NAME_WORD}(?:[ \t]+(?:{JOINER}[ \t]+)?{NAME_WORD}){{0,3}}[ \t]+{FACILITY_AFTER})(?![\w'-])"
)
# The facility word first, as Romance and German names put it ("Hospital Civil de Guadalajara",
# "Ospedale San Raffaele", "Klinikum Schwabing"): the name after it.
FACILITY_BEFORE = (
    r"(?:Hospital|Hôpital|Hospitalet|Clínica|Clinica|Clinique|Ospedale|Policlinico|Klinikum|Centro[ \t]+de[ \t]+Salud|"
    r"Centre[ \t]+Hospitalier|Santa[ \t]+Casa|Casa[ \t]+de[ \t]+Salud)"
)
FACILITY_FIRST = regex.compile(
    rf"(?<![\w-])(?P<place>{FACILITY_BEFORE}(?:[ \t]+(?:{JOINER}[ \t]+)?{NAME_WORD}){{1,4}})(?![\w'-])"
)
ROMANCE_JOINERS = frozenset("de del della di da do dos das".split())
BRANCH_WORD = r"(?:branch|office|depot|store|shop|site|campus|plant|warehouse|factory|showroom|clinic|surgery)"
BRANCH = regex.compile(
    rf"(?<![\w-])(?i:the|our|your|their|its|a)[ \t]+(?P<place>\p{{L}}[\p{{L}}\p{{M}}'’-]*(?:[ \t]+\p{{L}}[\p{{L}}\p{{M}}'’-]*){{0,2}})[ \t]+{BRANCH_WORD}(?![\w'-])"
)
# Words that make a facility's name generic or a department, not a place of its own.
GENERIC = frozenset(
    """the a an our your their his her my this that new old north south east west central upper lower general community
    children's childrens women's womens university royal district regional county city memorial mental psychiatric
    teaching private public main local national state veterans veteran military eye dental cancer heart maternity
    rehabilitation specialist day family medical health walk-in outpatient outpatients antenatal memory asthma allergy
    travel sexual vaccination fertility pain sleep diabetes cardiology oncology dermatology orthopaedic orthopedic
    paediatric pediatric neurology surgical emergency urgent care primary veterinary animal pet free student staff
    st st. saint hospital clinic centre center field mobile virtual online hospice infirmary""".split()
)


def _names_a_place(name: str) -> bool:
    return any(fold(word) not in GENERIC for word in regex.findall(r"[\p{L}\p{M}'’.-]+", name) if word[0].isupper())


def find_facilities(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of named hospitals and clinics, and of the town a branch is named after."""
    found = []
    for match in NAMED_FACILITY.finditer(text):
        if _names_a_place(match.group("place").rsplit(" ", 1)[0]):
            found.append((match.start("place"), match.end("place"), SCORE))
    for match in FACILITY_FIRST.finditer(text):
        if _foreign_facility_name(match.group("place")):
            found.append((match.start("place"), match.end("place"), SCORE))
    for match in BRANCH.finditer(text):
        if _branch_place(match.group("place")):
            found.append((match.start("place"), match.end("place"), SCORE))
    return found


def _foreign_facility_name(name: str) -> bool:
    """"Hospital" is English too: after it, a Romance joiner or a word SCOWL does not spell ("Hospital Italiano", not "Hospital Trust")."""
    first, *rest = name.split()
    if first != "Hospital":
        return True
    return any(word in ROMANCE_JOINERS for word in rest) or fold(rest[0]) not in english_words()


def _branch_place(place: str) -> bool:
    """A listed place (in lower case only when it is no English word: "the reading office" is not Reading), or one unknown capitalised word."""
    words = place.split()
    if is_listed_place(place):
        return place[0].isupper() or len(words) > 1 or fold(place) not in gazetteer().english_words
    return len(words) == 1 and place[0].isupper() and len(place) >= 3 and fold(place) not in english_words()


class FacilityRecognizer(FinderRecognizer):
    """Named hospitals and clinics, and places a branch or office is named after."""

    ENTITY = "LOCATION"
    find = staticmethod(find_facilities)
    load_lists = staticmethod(english_words)
