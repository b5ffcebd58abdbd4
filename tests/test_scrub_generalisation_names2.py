"""Second PERSON generalisation set: names that are also English words, and the words that only look like names.

Written at the start of session 5, before that session's name work, scored once before it
and once after; its misses were not looked at while tuning. It targets the classes still
missing after session 4: names that are ordinary words (Hope, Walker, Summer, Faith, Sky)
made people only by their context (a title, "Mr. and Mrs.", a verb of speech, a
possessive, a greeting, a signature, a speaker turn), pairs of surnames no list holds, and
names from many traditions. Three snippets hold no name at all but what tends to be
mistaken for one: drug names, weekdays and months, job titles, products and organisations,
and capitalised words at a sentence or line start.

Each snippet lists its spans in order as (label, exact substring), found by search.
PERSON spans are scored; other personal data is labelled OTHER and left out of scope.

Measured PERSON token precision / recall before the session-5 work: 0.859 / 0.871 (61 of 70
name tokens, 10 false positive tokens); after it: 0.943 / 0.943 (66 of 70, 4 false positive
tokens). Only these totals were read while tuning, never the misses; the session-5 rules
were found on presidio_synth_v2 and on other new text, but their classes (word names in a
person context, speakers in capitals, unlisted surname pairs) are the ones this set was
written to hold, so it is a check of those classes rather than a blind sample. The bars
asserted are the honest ones reached, a little under the measured values.
"""

from __future__ import annotations

import pytest
from scrub_gold import score

from scrubbers.evaluation import EvaluationReport

LABEL_MAP = {"PERSON": "PERSON", "OTHER": None}
MEASURED_PERSON_RECALL = 0.92
MEASURED_PERSON_PRECISION = 0.92

# fmt: off
SNIPPETS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Dear Mr. and Mrs. Hope,\nThank you for your letter about your son Walker's school placement. Ms. Brown from the "
     "admissions office will call you on Tuesday.\nYours sincerely,\nGrace Fielding\nAdmissions Officer",
     [("PERSON", "Hope"), ("PERSON", "Walker"), ("PERSON", "Brown"), ("PERSON", "Grace Fielding")]),
    ("INTERVIEWER: When did you first notice the symptoms?\nDESTINY: Around March, maybe April. My mum, Joy, noticed I "
     "was sleeping all the time.\nINTERVIEWER: And did you see a doctor then?\nDESTINY: Dr. Patel put me on sertraline "
     "in May.",
     [("PERSON", "DESTINY"), ("PERSON", "Joy"), ("PERSON", "DESTINY"), ("PERSON", "Patel")]),
    ("Care log 19:30: Summer said the wheelchair would not fit through the bathroom door, so Hunter and Rowan (support "
     "workers) carried the commode upstairs instead.",
     [("PERSON", "Summer"), ("PERSON", "Hunter"), ("PERSON", "Rowan")]),
    ("The audit was carried out by Haverkamp and Lindqvist-Osei, who both signed the attached report.",
     [("PERSON", "Haverkamp"), ("PERSON", "Lindqvist-Osei")]),
    ("Thanks again for your patience with the refund.\n\nWarm regards,\nFaith Marshall\nCustomer Relations\n"
     "Northgate Building Society",
     [("PERSON", "Faith Marshall"), ("OTHER", "Northgate Building Society")]),
    ("Mr Baker's blood pressure was 150/95 this morning; Mrs Cooper's family asked to move her visit to Thursday.",
     [("PERSON", "Baker"), ("PERSON", "Cooper")]),
    ("Warfarin held for two days before the procedure. Patient to restart Eliquis on Monday; District Nurse to check "
     "INR on Wednesday. Started metformin 500 mg twice daily and amlodipine 5 mg; review in August with the clinical "
     "pharmacist.",
     []),
    ("Attendance at the parents' evening: Tupac Quispe Huamán, Nguyễn Văn An's father, Aigerim Nurlanovna and "
     "Chinonso Eze. Apologies from Tsegaye Bekele.",
     [("PERSON", "Tupac Quispe Huamán"), ("PERSON", "Nguyễn Văn An"), ("PERSON", "Aigerim Nurlanovna"),
      ("PERSON", "Chinonso Eze"), ("PERSON", "Tsegaye Bekele")]),
    ("chat log\n[10:02] mercy: hi, the app keeps logging me out\n[10:03] support: sorry about that mercy, can you tell "
     "me your account email?\n[10:04] mercy: it's under my husband's name, rashid el-amin",
     [("PERSON", "mercy"), ("PERSON", "mercy"), ("PERSON", "mercy"), ("PERSON", "rashid el-amin")]),
    ("Consultant: Dr. Ibironke Oduya\nRegistrar: Dr. Lane\nTheatre Nurse: Sterling Ross\nProcedure: laparoscopic "
     "cholecystectomy under general anaesthetic.",
     [("PERSON", "Ibironke Oduya"), ("PERSON", "Lane"), ("PERSON", "Sterling Ross")]),
    ("Mr. and Mrs. Castellano-Brandt have asked that all letters go to their son, Matthias, while they are abroad. "
     "Please also update the record for Mrs. Castellano-Brandt's mother, Ilse.",
     [("PERSON", "Castellano-Brandt"), ("PERSON", "Matthias"), ("PERSON", "Castellano-Brandt"), ("PERSON", "Ilse")]),
    ("Microsoft Teams call moved to Friday. Please bring the Q3 figures; the Excel sheet is from Finance. Happy Easter "
     "to all, and thanks to Customer Services for covering Christmas Eve and Boxing Day.",
     []),
    ("my neighbour gareth hughes keeps parking across our drive and when i asked him to move he said take it up with "
     "his landlord, a mr szymanski.",
     [("PERSON", "gareth hughes"), ("PERSON", "szymanski")]),
    ("At the handover, Sky reported that the patient had refused lunch; Ivy asked for a dietitian referral and Jasper "
     "agreed to chase it.",
     [("PERSON", "Sky"), ("PERSON", "Ivy"), ("PERSON", "Jasper")]),
    ("Dear Precious,\nWe were sorry to hear about your mother's fall. Your claim (ref HX-55120) has been passed to our "
     "assessor, Mr. Bishop, who will visit on 4 June.\nKind regards,\nRhiannon Pryce-Jones",
     [("PERSON", "Precious"), ("OTHER", "HX-55120"), ("PERSON", "Bishop"), ("OTHER", "4 June"),
      ("PERSON", "Rhiannon Pryce-Jones")]),
    ("Shortlist for the analyst post: Nadia Haddad, Ravshan Tursunov, Kalani Kahananui and Iñaki Etxeberria. "
     "Panel: Hollis, Mbeki-Dube.",
     [("PERSON", "Nadia Haddad"), ("PERSON", "Ravshan Tursunov"), ("PERSON", "Kalani Kahananui"),
      ("PERSON", "Iñaki Etxeberria"), ("PERSON", "Hollis"), ("PERSON", "Mbeki-Dube")]),
    ("Assessment\nAlert and oriented. Mobility: independent with stick. Carer visits twice daily. Plan: continue "
     "Paracetamol, review Bisoprolol dose. Next appointment: Monday.",
     []),
]
# fmt: on


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    return score(SNIPPETS, "names2", LABEL_MAP)


def test_the_snippets_cover_word_names_and_lookalikes() -> None:
    persons = [value for _, labelled in SNIPPETS for label, value in labelled if label == "PERSON"]
    assert len(SNIPPETS) >= 15
    assert len(persons) >= 40
    assert sum(1 for _, labelled in SNIPPETS if not labelled) >= 3


def test_person_token_recall_on_unseen_text(report: EvaluationReport) -> None:
    person = report.token_by_type["PERSON"]
    assert person.recall >= MEASURED_PERSON_RECALL, report.as_dict()["misses"].get("PERSON")


def test_person_token_precision_on_unseen_text(report: EvaluationReport) -> None:
    person = report.token_by_type["PERSON"]
    assert person.precision >= MEASURED_PERSON_PRECISION, person.as_dict()
