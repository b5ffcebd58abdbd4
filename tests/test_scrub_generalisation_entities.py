"""Generalisation check for every non-PERSON type the `default` policy redacts, on text nobody tuned to.

The snippets were written before the recall work on addresses, places, dates and numbers
(issue #4, session 3), not drawn from any development set: insurance claims, bank letters,
clinical notes, support tickets and call transcripts in US, UK, EU, Indian and East Asian
formats, some in lower case. Each lists its PII as (label, exact substring); offsets are
found by search. Names are labelled too but scored out of scope here (PERSON -> None), so
a name neither counts as a miss nor, when found, as a false positive: this file measures
the other types only; `test_scrub_generalisation.py` covers names.

Only what `default` redacts is labelled: dates other than birth dates, ages, organisations,
claim/ticket/employee numbers, routing numbers and NHS numbers are not (the last two name
no entity the default policy lists). The bar asserted is the honest one measured.

Measured token recall / precision (non-PERSON), default policy, 343 gold tokens: 0.799 / 0.945
before the work, 0.927 / 0.961 after it. The first batch's misses were looked at once, while
choosing which classes to improve (dashed licence numbers, a floor or unit before its street,
Japanese block numbers came partly from it), so a second batch (LATER_SNIPPETS, 100 gold
tokens) was written after the tuning and scored once, untouched: 0.890 / 0.989 on the code
before the work, 0.950 / 0.969 after it.
"""

from __future__ import annotations

import pytest
from scrub_gold import score

from policies.loader import load_policy
from scrubbers.evaluation import DEFAULT_LABEL_MAP, EvaluationReport

# fmt: off
SNIPPETS: list[tuple[str, list[tuple[str, str]]]] = [
    # Insurance claims
    ("Claim CLM-2024-118830 filed by policyholder Dana Whitcombe, date of birth July 9th, 1962, for water damage at "
     "4471 Cedar Hollow Rd, Unit 5, Boise, ID 83709. Adjuster callback: (208) 555-0134 ext. 212.",
     [("PERSON", "Dana Whitcombe"), ("DATE_OF_BIRTH", "July 9th, 1962"),
      ("STREET_ADDRESS", "4471 Cedar Hollow Rd, Unit 5, Boise, ID 83709"), ("PHONE_NUMBER", "(208) 555-0134 ext. 212")]),
    ("Motor claim: the third-party driver gave her address as 12b Ashgrove Terrace, Harrogate HG1 5EE and her mobile "
     "as 07911 123456. The collision happened on the A61 just outside Ripley.",
     [("STREET_ADDRESS", "12b Ashgrove Terrace, Harrogate HG1 5EE"), ("PHONE_NUMBER", "07911 123456"), ("LOCATION", "Ripley")]),
    ("Schadenmeldung from Jonas Becker, Hauptstraße 17, 10827 Berlin, Germany. Please pay the settlement to "
     "IBAN DE44 5001 0517 5407 3249 31.",
     [("PERSON", "Jonas Becker"), ("STREET_ADDRESS", "Hauptstraße 17, 10827 Berlin"), ("LOCATION", "Germany"),
      ("IBAN_CODE", "DE44 5001 0517 5407 3249 31")]),
    ("Policyholder address: Unit 7, 42 Beach Road, Bondi NSW 2026, Australia. Ph (02) 9130 4455. Storm damage to the "
     "garage roof, assessor visiting on the 3rd.",
     [("STREET_ADDRESS", "Unit 7, 42 Beach Road, Bondi NSW 2026"), ("LOCATION", "Australia"), ("PHONE_NUMBER", "(02) 9130 4455")]),
    ("travel claim: insured lost her passport (no. 533287190) in lisbon, portugal and was re-issued one at the "
     "embassy. receipts sent from tomasz.wrobel77@gmail.com",
     [("US_PASSPORT", "533287190"), ("LOCATION", "lisbon"), ("LOCATION", "portugal"),
      ("EMAIL_ADDRESS", "tomasz.wrobel77@gmail.com")]),
    ("Vehicle theft reported by the insured, born 05-Mar-1967, from the car park at 2150 rue Sherbrooke Ouest, "
     "Suite 310, Montréal, QC H3H 1G7.",
     [("DATE_OF_BIRTH", "05-Mar-1967"), ("STREET_ADDRESS", "2150 rue Sherbrooke Ouest, Suite 310, Montréal, QC H3H 1G7")]),
    # Bank letters
    ("Madame Camille Laurent\n8 avenue Jean Jaurès\n75019 Paris\n\nDear Ms Laurent, your account "
     "FR76 3000 6000 0112 3456 7890 189 will be closed on 31 January. Any balance will be posted to you.",
     [("PERSON", "Camille Laurent"), ("STREET_ADDRESS", "8 avenue Jean Jaurès\n75019 Paris"),
      ("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189")]),
    ("Account holder: Sanne de Vries, Keizersgracht 221-III, 1016 DV Amsterdam. Card 5425 2334 3010 9903 was blocked "
     "on 3 May after two attempts to use it in Marrakesh, Morocco.",
     [("PERSON", "Sanne de Vries"), ("STREET_ADDRESS", "Keizersgracht 221-III, 1016 DV Amsterdam"),
      ("CREDIT_CARD", "5425 2334 3010 9903"), ("LOCATION", "Marrakesh"), ("LOCATION", "Morocco")]),
    ("Please confirm the ACH details: routing number 011000015, checking account no. 2847193650, opened at our "
     "Springfield branch in 2014.",
     [("ACCOUNT_NUMBER", "2847193650"), ("LOCATION", "Springfield")]),
    ("Your replacement card has been posted to PO Box 2291, Anchorage, AK 99510. If you did not request it, "
     "call us on 1-800-555-0199 immediately.",
     [("STREET_ADDRESS", "PO Box 2291, Anchorage, AK 99510"), ("PHONE_NUMBER", "1-800-555-0199")]),
    ("Remitente: Lucía Gómez, Avenida de la Constitución 21, 3º B, 41004 Sevilla. Tel. +34 954 12 34 56. "
     "Transferencia a ES91 2100 0418 4502 0005 1332.",
     [("PERSON", "Lucía Gómez"), ("STREET_ADDRESS", "Avenida de la Constitución 21, 3º B, 41004 Sevilla"),
      ("PHONE_NUMBER", "+34 954 12 34 56"), ("IBAN_CODE", "ES91 2100 0418 4502 0005 1332")]),
    ("KYC form | Date of Birth: 1990-02-28 | Place of birth: Kraków, Poland | Address: ul. Długa 15/7, 31-147 Kraków | "
     "Email: m.nowak@poczta.example.pl",
     [("DATE_OF_BIRTH", "1990-02-28"), ("LOCATION", "Kraków"), ("LOCATION", "Poland"),
      ("STREET_ADDRESS", "ul. Długa 15/7, 31-147 Kraków"), ("EMAIL_ADDRESS", "m.nowak@poczta.example.pl")]),
    ("Invoice 2024-0315: 3 units at $1,250.00 each, due 30 June 2025, purchase order 44812. Thank you for your business.",
     []),
    # Clinical notes
    ("HPI: 93 y/o male from Scranton, PA, DOB 2/14/31, presents with worsening dyspnoea over three days.",
     [("LOCATION", "Scranton, PA"), ("DATE_OF_BIRTH", "2/14/31")]),
    ("GP letter: Mrs Eleanor Pryce, d.o.b. 03.08.1949, NHS no. 943 476 5919, of 5 Meadow View, Little Haywood, "
     "Stafford ST18 0TR, was reviewed in clinic today.",
     [("PERSON", "Eleanor Pryce"), ("DATE_OF_BIRTH", "03.08.1949"),
      ("STREET_ADDRESS", "5 Meadow View, Little Haywood, Stafford ST18 0TR")]),
    ("Patient transferred from Queen Mary Hospital, 102 Pok Fu Lam Road, Hong Kong. Next of kin (son) reachable on "
     "+852 9123 4567.",
     [("STREET_ADDRESS", "102 Pok Fu Lam Road"), ("LOCATION", "Hong Kong"), ("PHONE_NUMBER", "+852 9123 4567")]),
    ("pt lives w/ daughter at 33 elm st apt 4, worcester ma 01609. born 11/30/1958. call daughter 508 555 0199 "
     "before discharge.",
     [("STREET_ADDRESS", "33 elm st apt 4, worcester ma 01609"), ("DATE_OF_BIRTH", "11/30/1958"),
      ("PHONE_NUMBER", "508 555 0199")]),
    ("Social history: retired teacher, born on the 3rd of January 1930 in Cork, moved to Boston in the sixties.",
     [("DATE_OF_BIRTH", "3rd of January 1930"), ("LOCATION", "Cork"), ("LOCATION", "Boston")]),
    ("Discharge planning: home address Room 1203, 88 Century Avenue, Pudong New Area, Shanghai 200120, China. "
     "Interpreter needed (Mandarin).",
     [("STREET_ADDRESS", "Room 1203, 88 Century Avenue, Pudong New Area, Shanghai 200120"), ("LOCATION", "China")]),
    ("Allergy clinic: applicant ssn 366-18-4420, dob 07/04/1976, asked for results by post to her home in new orleans.",
     [("US_SSN", "366-18-4420"), ("DATE_OF_BIRTH", "07/04/1976"), ("LOCATION", "new orleans")]),
    # Support tickets
    ("Ticket 55102: customer reports login failures from 2001:db8:85a3::8a2e:370:7334 and 192.0.2.146; the profile page "
     "https://app.example.org/u/kline-r shows a billing address in Reno, Nevada.",
     [("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"), ("IP_ADDRESS", "192.0.2.146"),
      ("URL", "https://app.example.org/u/kline-r"), ("LOCATION", "Reno"), ("LOCATION", "Nevada")]),
    ("Order JP-44120 shipped to 2-4-9 Umeda, Kita-ku, Osaka 530-0001, Japan; recipient phone 06-6341-7788.",
     [("STREET_ADDRESS", "2-4-9 Umeda, Kita-ku, Osaka 530-0001"), ("LOCATION", "Japan"), ("PHONE_NUMBER", "06-6341-7788")]),
    ("Delivery failed: Flat 402, Sai Krupa Apartments, 14th Cross, Indiranagar, Bengaluru 560038. "
     "Customer mobile +91 98450 12345.",
     [("STREET_ADDRESS", "Flat 402, Sai Krupa Apartments, 14th Cross, Indiranagar, Bengaluru 560038"),
      ("PHONE_NUMBER", "+91 98450 12345")]),
    ("Delivery address: Via Garibaldi 112, int. 6, 16124 Genova GE, Italy. Courier to ring twice.",
     [("STREET_ADDRESS", "Via Garibaldi 112, int. 6, 16124 Genova GE"), ("LOCATION", "Italy")]),
    ("hi, pls update my shipping address to unit #12-04, 8 marina view, singapore 018960. my portfolio is at "
     "www.rajiyerdesigns.in if you need to check the name. thx raj.k.iyer@outlook.com",
     [("STREET_ADDRESS", "unit #12-04, 8 marina view, singapore 018960"), ("URL", "www.rajiyerdesigns.in"),
      ("EMAIL_ADDRESS", "raj.k.iyer@outlook.com")]),
    ("Relocation request: the employee moves from Lyon to 4th Floor, 22 Hanover Square, London W1S 1JB on the 1st of March.",
     [("LOCATION", "Lyon"), ("STREET_ADDRESS", "4th Floor, 22 Hanover Square, London W1S 1JB")]),
    ("Account locked after 5 failed attempts. Last good login from 10.24.8.19 (VPN). User is based in the Bavaria "
     "region and travels to Catalonia often.",
     [("IP_ADDRESS", "10.24.8.19"), ("LOCATION", "Bavaria"), ("LOCATION", "Catalonia")]),
    ("Driver onboarding: Illinois licence A123-4567-8901 checked; home address 2417 N Halsted St, Chicago, IL 60614.",
     [("LOCATION", "Illinois"), ("US_DRIVER_LICENSE", "A123-4567-8901"),
      ("STREET_ADDRESS", "2417 N Halsted St, Chicago, IL 60614")]),
    # Call transcripts
    ("Agent: for security can I take your date of birth?\nCaller: it's the fourth of june nineteen seventy one.\n"
     "Agent: and the postcode?\nCaller: sw1a 2aa.",
     [("DATE_OF_BIRTH", "fourth of june nineteen seventy one"), ("LOCATION", "sw1a 2aa")]),
    ("Agent: which branch did you open the account at?\nCaller: the one in leeds, on briggate. i live in "
     "headingley now, 14 cardigan road.",
     [("LOCATION", "leeds"), ("LOCATION", "briggate"), ("LOCATION", "headingley"), ("STREET_ADDRESS", "14 cardigan road")]),
    ("Caller: yeah the card number is 4012 8888 8888 1881 and the billing zip is 30309, that's in atlanta georgia.",
     [("CREDIT_CARD", "4012 8888 8888 1881"), ("LOCATION", "30309"), ("LOCATION", "atlanta"), ("LOCATION", "georgia")]),
    ("Agent: and what's the address on file?\nCaller: it's 8 Rosemount Crescent, Galway, Ireland, H91 X2Y4. "
     "You can also reach me at 087 123 4567.",
     [("STREET_ADDRESS", "8 Rosemount Crescent, Galway"), ("LOCATION", "Ireland"), ("LOCATION", "H91 X2Y4"),
      ("PHONE_NUMBER", "087 123 4567")]),
    ("Interviewer: where did you grow up?\nRespondent: outside Busan, South Korea, then we moved to Osaka and later "
     "to Vancouver, British Columbia.",
     [("LOCATION", "Busan"), ("LOCATION", "South Korea"), ("LOCATION", "Osaka"), ("LOCATION", "Vancouver"),
      ("LOCATION", "British Columbia")]),
    ("Agent: Can I have the sort code and account number?\nCaller: sort code 20-45-77, account 41558302.",
     [("ACCOUNT_NUMBER", "41558302")]),
]
# fmt: on

# A second batch, written after the tuning was done and measured once, never used to tune: the
# first batch's misses were looked at while choosing classes, so this batch is the untouched check.
# fmt: off
LATER_SNIPPETS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Home insurance renewal for the property at 71 Larkspur Close, Basingstoke RG22 4PL. Direct debit from "
     "account 61209944, sort code withheld.",
     [("STREET_ADDRESS", "71 Larkspur Close, Basingstoke RG22 4PL"), ("ACCOUNT_NUMBER", "61209944")]),
    ("Beneficiary bank details: IBAN NL91 ABNA 0417 1643 00, beneficiary address Prinsengracht 263, 1016 GV Amsterdam.",
     [("IBAN_CODE", "NL91 ABNA 0417 1643 00"), ("STREET_ADDRESS", "Prinsengracht 263, 1016 GV Amsterdam")]),
    ("ED triage: 88 yo female brought in from her home on 1920 Brookside Dr, Tulsa, OK 74104, dob 09/17/1936.",
     [("STREET_ADDRESS", "1920 Brookside Dr, Tulsa, OK 74104"), ("DATE_OF_BIRTH", "09/17/1936")]),
    ("Caller says she's calling from a hotel in marrakech but lives in rotterdam; callback number 06 4471 2290.",
     [("LOCATION", "marrakech"), ("LOCATION", "rotterdam"), ("PHONE_NUMBER", "06 4471 2290")]),
    ("Shipment held at customs: consignee at Lindenstraße 42, 50674 Köln; contact +49 221 9876 5432 or "
     "logistik@spedition-example.de.",
     [("STREET_ADDRESS", "Lindenstraße 42, 50674 Köln"), ("PHONE_NUMBER", "+49 221 9876 5432"),
      ("EMAIL_ADDRESS", "logistik@spedition-example.de")]),
    ("Applicant born 1985-11-02 in Pune, Maharashtra; current address 12/4 MG Road, Pune 411001.",
     [("DATE_OF_BIRTH", "1985-11-02"), ("LOCATION", "Pune"), ("LOCATION", "Maharashtra"),
      ("STREET_ADDRESS", "12/4 MG Road, Pune 411001")]),
    ("Suspicious sign-in from 172.16.254.3 (Warsaw, Poland) to the profile at https://bank.example.com/profile/88213.",
     [("IP_ADDRESS", "172.16.254.3"), ("LOCATION", "Warsaw"), ("LOCATION", "Poland"),
      ("URL", "https://bank.example.com/profile/88213")]),
    ("customer: my address is 9 rue des martyrs, 75009 paris and my card is 4556 7375 8689 9855",
     [("STREET_ADDRESS", "9 rue des martyrs, 75009 paris"), ("CREDIT_CARD", "4556 7375 8689 9855")]),
    ("Tenancy reference: previous landlord at Apartment 5C, 310 West 86th Street, New York, NY 10024; SSN 412-33-7810.",
     [("STREET_ADDRESS", "Apartment 5C, 310 West 86th Street, New York, NY 10024"), ("US_SSN", "412-33-7810")]),
    ("Seoul branch note: client resides at 15 Teheran-ro 4-gil, Gangnam-gu, Seoul 06232, South Korea.",
     [("STREET_ADDRESS", "15 Teheran-ro 4-gil, Gangnam-gu, Seoul 06232"), ("LOCATION", "South Korea")]),
]
# fmt: on

# The honest floors measured (see the module docstring), a little under the measured values.
RECALL_FLOOR = 0.92
LATER_RECALL_FLOOR = 0.94

# Names are scored by `test_scrub_generalisation.py`; here they are out of scope.
LABEL_MAP = {**DEFAULT_LABEL_MAP, "PERSON": None}


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    return score(SNIPPETS, "ent", LABEL_MAP)


@pytest.fixture(scope="module")
def later_report() -> EvaluationReport:
    return score(LATER_SNIPPETS, "ent", LABEL_MAP)


def test_the_snippets_cover_every_non_person_type_the_default_policy_redacts() -> None:
    labels = {label for _, labelled in SNIPPETS for label, _ in labelled} - {"PERSON"}
    default = set(load_policy("default").entities) - {"PERSON", "US_BANK_NUMBER"}
    # US_BANK_NUMBER and ACCOUNT_NUMBER are the same thing to a reader; ours labels ACCOUNT_NUMBER.
    assert default <= labels, default - labels
    assert len(SNIPPETS) >= 30


def test_non_person_token_recall_on_unseen_text(report: EvaluationReport) -> None:
    assert report.token.recall >= RECALL_FLOOR, report.as_dict()["token_by_type"]


def test_non_person_token_precision_on_unseen_text(report: EvaluationReport) -> None:
    assert report.token.precision >= 0.85, report.as_dict()["token_by_type"]


def test_later_batch_never_tuned_to(later_report: EvaluationReport) -> None:
    assert later_report.token.recall >= LATER_RECALL_FLOOR, later_report.as_dict()["token_by_type"]
    assert later_report.token.precision >= 0.85, later_report.as_dict()["token_by_type"]
