"""Generalisation check on addresses and places: the `default` policy on text nobody tuned to.

Written at the start of session 5, before the work on address blocks and place recall
(issue #4), and not drawn from any development set: letters, forms, call transcripts
and file notes from the US, UK, Ireland, Canada, Australia, New Zealand, Germany,
France, Spain, Italy, the Netherlands, Poland, India, Brazil and Japan. Address blocks
run over several lines or commas (unit, building, town, region, postcode, country);
some are in lower case or written in a transcript; streets appear without a house
number ("lives on Maple Avenue"); places appear in prose (small towns, regions, hospitals
and branches, multi-word towns in lower case).

Each snippet lists its spans in order as (label, exact substring), found by search.
Every non-PERSON type the default policy redacts is scored; names are labelled but out
of scope here (PERSON -> None, `test_scrub_generalisation_names.py` covers them), as is
OTHER (organisations, reference numbers, dates other than birth dates). An address block
is one STREET_ADDRESS from its building or house number to its postcode; a country after
it is a LOCATION. Hospitals, clinics and branches named after a place are LOCATION in full.

Measured (token level, non-PERSON, default policy, 181 gold tokens), before -> after the
session-5 work: P/R 0.903 / 0.724 -> 0.920 / 0.823; STREET_ADDRESS 0.971 / 0.717 -> 0.974 /
0.797 (138 tokens), LOCATION 0.967 / 0.725 -> 0.973 / 0.900 (40 tokens). Its misses were
never looked at (only its totals were printed while tuning on presidio_synth_v2). The same
engineer wrote these snippets and the rules, though, so some layouts the rules learnt (a
building line before the street, units in several languages) were known to the writer: a
weaker check than a set written by someone else. The floors are the honest levels reached,
a little under.
"""

from __future__ import annotations

import pytest
from scrub_gold import score

from scrubbers.evaluation import DEFAULT_LABEL_MAP, EvaluationReport

LABEL_MAP = {**DEFAULT_LABEL_MAP, "PERSON": None, "OTHER": None}

# fmt: off
SNIPPETS: list[tuple[str, list[tuple[str, str]]]] = [
    # Letters and forms with address blocks
    ("Ms Harriet Okonedo\nFlat 3, Lindisfarne House\n27 Quayside Walk\nNewcastle upon Tyne\nNE1 3DX\n\n"
     "Dear Ms Okonedo, thank you for your letter of 4 March about your council tax band.",
     [("PERSON", "Harriet Okonedo"),
      ("STREET_ADDRESS", "Flat 3, Lindisfarne House\n27 Quayside Walk\nNewcastle upon Tyne\nNE1 3DX"),
      ("PERSON", "Okonedo")]),
    ("Change of address form\nNew address: 1180 Kalakaua Ave, Apt 2204\nHonolulu, HI 96826\nPrevious address: "
     "45 Orchard Lane, Walla Walla, WA 99362\nEffective from: 1 June",
     [("STREET_ADDRESS", "1180 Kalakaua Ave, Apt 2204\nHonolulu, HI 96826"),
      ("STREET_ADDRESS", "45 Orchard Lane, Walla Walla, WA 99362")]),
    ("Herrn Matthias Kühnel\nBergmannstraße 54, 3. OG links\n10961 Berlin\nDeutschland\n\nSehr geehrter Herr Kühnel, "
     "Ihre Kündigung ist bei uns eingegangen.",
     [("PERSON", "Matthias Kühnel"), ("STREET_ADDRESS", "Bergmannstraße 54, 3. OG links\n10961 Berlin"),
      ("LOCATION", "Deutschland"), ("PERSON", "Kühnel")]),
    ("Destinataire : Mme Élodie Marchand, Résidence Les Tilleuls, Bât. B, 14 rue des Lilas, 69003 Lyon, France. "
     "Objet : remboursement de la caution.",
     [("PERSON", "Élodie Marchand"),
      ("STREET_ADDRESS", "Résidence Les Tilleuls, Bât. B, 14 rue des Lilas, 69003 Lyon"), ("LOCATION", "France")]),
    ("Spett.le Sig.ra Giulia Ferrante, Via Nazionale 212, int. 7, 00184 Roma RM, Italia. Le confermiamo la "
     "ricezione del pagamento.",
     [("PERSON", "Giulia Ferrante"), ("STREET_ADDRESS", "Via Nazionale 212, int. 7, 00184 Roma RM"),
      ("LOCATION", "Italia")]),
    ("Delivery details: Aditi Kulkarni, B-504 Sai Krupa Apartments, Lokhandwala Complex, Andheri West, "
     "Mumbai 400053, Maharashtra. Landmark: opposite the petrol pump.",
     [("PERSON", "Aditi Kulkarni"),
      ("STREET_ADDRESS", "B-504 Sai Krupa Apartments, Lokhandwala Complex, Andheri West, Mumbai 400053"),
      ("LOCATION", "Maharashtra")]),
    ("Remitente: Jorge Salvatierra Ruiz, Calle de Alcalá 118, 4º izquierda, 28009 Madrid. Motivo: reclamación "
     "por cargo duplicado.",
     [("PERSON", "Jorge Salvatierra Ruiz"), ("STREET_ADDRESS", "Calle de Alcalá 118, 4º izquierda, 28009 Madrid")]),
    # Lower-case and transcript addresses
    ("customer emailed: hi, pls send the replacement card to 16 wattle grove, mount waverley vic 3149, "
     "not the old address in ballarat. thx",
     [("STREET_ADDRESS", "16 wattle grove, mount waverley vic 3149"), ("LOCATION", "ballarat")]),
    ("AGENT: And the postcode?\nCALLER: It's 3581 KP, Utrecht. The street is Biltstraat, number 92, second floor.\n"
     "AGENT: Thank you, I've updated it.",
     [("LOCATION", "3581 KP, Utrecht"), ("STREET_ADDRESS", "Biltstraat, number 92, second floor")]),
    ("Operator: Can you confirm the address we should send the engineer to?\nResident: Yeah, it's apartment 12, "
     "340 Queen Street West, Toronto, Ontario, M5V 2A2.\nOperator: Lovely, they'll be there Thursday.",
     [("STREET_ADDRESS", "apartment 12, 340 Queen Street West, Toronto, Ontario, M5V 2A2")]),
    # Places in prose
    ("Home visit note: the client lives on Maple Avenue with her daughter, a short walk from Riverside Community "
     "Hospital. She grew up in Saskatoon and moved here from Moose Jaw in 2019.",
     [("STREET_ADDRESS", "Maple Avenue"), ("LOCATION", "Riverside Community Hospital"), ("LOCATION", "Saskatoon"),
      ("LOCATION", "Moose Jaw")]),
    ("Referral: Mr Tane Wiremu was seen at Waikato Hospital and is being discharged to his sister's in "
     "Te Awamutu; his GP is at the Otorohanga health centre.",
     [("PERSON", "Tane Wiremu"), ("LOCATION", "Waikato Hospital"), ("LOCATION", "Te Awamutu"),
      ("LOCATION", "Otorohanga")]),
    ("hr note: employee asked to move from the leeds branch to the one in bury st edmunds to be near her parents "
     "in suffolk. transfer agreed from next month.",
     [("LOCATION", "leeds"), ("LOCATION", "bury st edmunds"), ("LOCATION", "suffolk")]),
    ("Incident report: the driver was stopped on Rua Augusta near the Praça do Comércio in Lisbon; he told the "
     "officer he lives in Setúbal and works in Almada.",
     [("STREET_ADDRESS", "Rua Augusta"), ("LOCATION", "Praça do Comércio"), ("LOCATION", "Lisbon"),
      ("LOCATION", "Setúbal"), ("LOCATION", "Almada")]),
    ("Claim notes: policyholder's holiday home at ul. Mickiewicza 8/3, 81-832 Sopot was flooded; she normally lives "
     "in Gdynia. Loss adjuster from our Gdańsk office to attend.",
     [("STREET_ADDRESS", "ul. Mickiewicza 8/3, 81-832 Sopot"), ("LOCATION", "Gdynia"), ("LOCATION", "Gdańsk")]),
    ("Patient transferred from Santa Casa de Misericórdia in Porto Alegre; home address Av. Ipiranga 6681, "
     "apto 1203, Partenon, Porto Alegre - RS, 90619-900, Brasil.",
     [("LOCATION", "Santa Casa de Misericórdia"), ("LOCATION", "Porto Alegre"),
      ("STREET_ADDRESS", "Av. Ipiranga 6681, apto 1203, Partenon, Porto Alegre - RS, 90619-900"), ("LOCATION", "Brasil")]),
    ("Shipping label: 〒150-0041 Tokyo-to, Shibuya-ku, Jinnan 1-19-11, Park Wall Bldg 5F, attn. Sato Haruki, "
     "tel 03-5456-7890",
     [("STREET_ADDRESS", "〒150-0041 Tokyo-to, Shibuya-ku, Jinnan 1-19-11, Park Wall Bldg 5F"),
      ("PERSON", "Sato Haruki"), ("PHONE_NUMBER", "03-5456-7890")]),
    ("Mr Cathal Ó Briain, 4 Bóthar na Trá, Salthill, Galway H91 X2C4, wrote to complain that the branch in Oranmore "
     "had closed without notice.",
     [("PERSON", "Cathal Ó Briain"), ("STREET_ADDRESS", "4 Bóthar na Trá, Salthill, Galway H91 X2C4"),
      ("LOCATION", "Oranmore")]),
]
# fmt: on

# The honest floors measured (see the module docstring), a little under the measured values.
RECALL_FLOOR = 0.80
PRECISION_FLOOR = 0.90


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    return score(SNIPPETS, "places2", LABEL_MAP)


def test_the_snippets_hold_addresses_and_places_from_many_countries() -> None:
    labels = [label for _, labelled in SNIPPETS for label, _ in labelled]
    assert labels.count("STREET_ADDRESS") >= 15
    assert labels.count("LOCATION") >= 20
    assert len(SNIPPETS) >= 15


def test_address_and_place_token_recall_on_unseen_text(report: EvaluationReport) -> None:
    assert report.token.recall >= RECALL_FLOOR, report.as_dict()["token_by_type"]


def test_address_and_place_token_precision_on_unseen_text(report: EvaluationReport) -> None:
    assert report.token.precision >= PRECISION_FLOOR, report.as_dict()["token_by_type"]
