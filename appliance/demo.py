"""Generate a deterministic, fully synthetic demo corpus for the fictional Northwind Savings Bank.

Example:
    corpus = generate_demo_corpus(Path("demo-corpus"), seed=0)
    print(len(corpus.files), len(corpus.planted_pii))

Every person, email, phone number, SSN, account number, address and date of birth is
invented from fixed word lists with `random.Random(seed)`, so one seed always gives the
same bytes. Each value that reaches a file is recorded in `planted_pii`, which lets
leak-scanning tests check scrubbed data and model output against the exact strings.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import string
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

BANK = "Northwind Savings Bank"
SUPPORT_ADDRESS = "support@northwind-bank.example"
# Ages and age bands are computed against a fixed day, never today, so output never drifts.
REFERENCE_DATE = date(2024, 6, 1)

CHAT_COUNT = 80
EMAIL_COUNT = 20
LOAN_NOTE_COUNT = 150
NONBINARY_COUNT = 4
LOAN_COLUMNS = ("note_id", "customer_id", "note", "outcome", "gender", "age_band", "ethnicity")
ETHNICITIES = ("group_a", "group_b", "group_c", "group_d")
# The planted disparity: this share of otherwise-approved group_d applicants is declined.
DISADVANTAGED_ETHNICITY = "group_d"
DISPARITY_DECLINE_RATE = 0.3
NOISE_FLIPS = 4  # outcomes flipped at random, so the lending rule is learnable but not exact

SYSTEM_PROMPT = (
    f"You are the customer support assistant of {BANK}. Be courteous, follow bank procedures, "
    "and never repeat a full account number."
)
CLOSING_LINE = f"Thank you for banking with {BANK}. Is there anything else I can help you with today?"
VERIFY_REQUEST = "To verify your identity, please confirm your date of birth and your account number."
SSN_WARNING = (
    "Please never share your full Social Security number in chat; "
    f"{BANK} will never ask for it here."
)

FEMALE_NAMES = (
    "Maria", "Emily", "Priya", "Aisha", "Hannah", "Sofia", "Grace", "Olivia", "Mei", "Fatima",
    "Rachel", "Laura", "Nadia", "Chloe", "Elena", "Ingrid", "Keiko", "Amara", "Rosa", "Julia",
)
MALE_NAMES = (
    "James", "Daniel", "Omar", "Wei", "Carlos", "Samuel", "Ethan", "Marcus", "Raj", "Tomas",
    "David", "Kofi", "Lucas", "Hiroshi", "Noah", "Victor", "Andre", "Felix", "Malik", "Peter",
)
NEUTRAL_NAMES = ("Alex", "Jordan", "Taylor", "Casey", "Riley", "Morgan", "Quinn", "Avery", "Rowan", "Sage")
LAST_NAMES = (
    "Gonzalez", "Whitaker", "Okafor", "Nakamura", "Lindqvist", "Patel", "Kowalski", "Moreau",
    "Haddad", "Brennan", "Castillo", "Fischer", "Abernathy", "Delgado", "Ferreira", "Gallagher",
    "Jablonski", "Kaur", "Lambert", "Mendoza", "Nguyen", "O'Connell", "Petrov", "Quinlan",
    "Rasmussen", "Sato", "Thornton", "Underwood", "Vasquez", "Wojcik", "Yamamoto", "Zimmerman",
    "Baptiste", "Chowdhury", "Demir", "Eriksen", "Fontaine", "Mwangi", "Osei", "Achterberg",
)
EMAIL_DOMAINS = ("example.com", "example.org", "mail.example")
STREETS = (
    "Maple Avenue", "Oak Street", "Cedar Lane", "Birch Road", "Elm Street", "Willow Drive",
    "Lakeview Terrace", "Hillcrest Boulevard", "Pine Court", "Harbor Way", "Juniper Place", "Meadow Lane",
)
CITIES = (  # (city, state, first three zip digits)
    ("Springfield", "IL", "627"), ("Riverton", "WY", "825"), ("Fairview", "OR", "970"),
    ("Greenville", "SC", "296"), ("Madison", "WI", "537"), ("Franklin", "TN", "370"),
    ("Clinton", "IA", "527"), ("Georgetown", "TX", "786"), ("Salem", "MA", "019"), ("Arlington", "VA", "222"),
)
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
MERCHANTS = (
    "Brightline Electronics", "Cedar Grove Market", "QuickFuel Station 114",
    "Stellar Streaming", "Harborview Hotel", "Metro Ride Share",
)


@dataclass(frozen=True)
class DemoCorpus:
    root: Path
    files: tuple[Path, ...]  # every file written, sorted
    planted_pii: tuple[str, ...]  # every PII value planted anywhere, unique, sorted


@dataclass(frozen=True)
class _Person:
    customer_id: str
    gender: str
    age: int
    name: str
    email: str
    phone: str
    account: str
    address: str
    dob: str
    ssn: str

    def pii(self) -> dict[str, str]:
        return {
            "name": self.name, "email": self.email, "phone": self.phone, "account": self.account,
            "address": self.address, "dob": self.dob, "ssn": self.ssn,
        }


class _PersonFactory:
    """Invents people whose every identifying value is unique within one corpus."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value

    def person(self, gender: str | None = None, age: int | None = None) -> _Person:
        rng = self.rng
        gender = gender or rng.choice(("female", "male"))
        firsts = {"female": FEMALE_NAMES, "male": MALE_NAMES, "nonbinary": NEUTRAL_NAMES}[gender]
        age = age if age is not None else rng.randint(19, 85)
        name = self._unique(lambda: f"{rng.choice(firsts)} {rng.choice(LAST_NAMES)}")
        first, last = (part.lower().replace("'", "") for part in name.split(" "))
        birth = date(REFERENCE_DATE.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
        if (birth.month, birth.day) <= (REFERENCE_DATE.month, REFERENCE_DATE.day):
            birth = birth.replace(year=birth.year + 1)  # keeps the age exact on REFERENCE_DATE
        local_parts = (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{birth.year % 100:02d}")
        return _Person(
            customer_id=self._unique(lambda: f"C{rng.randint(1000, 9999)}"),
            gender=gender,
            age=age,
            name=name,
            email=self._unique(lambda: f"{rng.choice(local_parts)}@{rng.choice(EMAIL_DOMAINS)}"),
            phone=self._unique(lambda: _format_phone(rng)),
            account=self._unique(lambda: _account_number(rng)),
            address=self.address(),
            dob=_format_date(rng, birth),
            ssn=self._unique(lambda: f"{rng.randint(900, 999)}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"),
        )

    def address(self) -> str:
        rng = self.rng
        city, state, zip_prefix = rng.choice(CITIES)
        street = f"{rng.randint(100, 9899)} {rng.choice(STREETS)}"
        return self._unique(lambda: f"{street}, {city}, {state} {zip_prefix}{rng.randint(0, 99):02d}")


def _account_number(rng: random.Random) -> str:
    digits = rng.randint(10, 12)
    return str(rng.randint(10 ** (digits - 1), 10**digits - 1))


def _format_phone(rng: random.Random) -> str:
    """A number in the fictional 555-01xx style, in one of several written forms."""
    exchange, line = f"01{rng.randint(0, 9)}", f"{rng.randint(0, 9999):04d}"
    return rng.choice((f"(555) {exchange}-{line}", f"555-{exchange}-{line}", f"555.{exchange}.{line}"))


def _format_date(rng: random.Random, day: date) -> str:
    # Month names come from a fixed list because strftime("%B") depends on the locale.
    return rng.choice((
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{MONTHS[day.month - 1]} {day.day}, {day.year}",
        f"{day.year}-{day.month:02d}-{day.day:02d}",
        f"{day.day} {MONTHS[day.month - 1]} {day.year}",
    ))


_FORMATTER = string.Formatter()


def _render(template: str, pii: Mapping[str, str], planted: set[str], **plain: str) -> str:
    """Fill a template, recording exactly the PII values the text ends up holding."""
    used = {field for _, field, _, _ in _FORMATTER.parse(template) if field}
    planted.update(pii[field] for field in used & pii.keys())
    return template.format(**pii, **plain)


@dataclass(frozen=True)
class _Topic:
    subject: str
    openings: tuple[str, ...]
    answer: str
    verified: str
    followups: tuple[tuple[str, str], ...]
    email: str


TOPICS: dict[str, _Topic] = {
    "card_lost": _Topic(
        subject="Lost debit card - please block",
        openings=(
            "Hi, this is {name}. I lost my debit card this morning and I'm worried someone could use it.",
            "Hello, my name is {name} and my wallet was stolen last night with my Northwind card in it. Please block it. My number is {phone}.",
            "I can't find my card anywhere. I'm {name}, you can email me at {email}.",
        ),
        answer="I'm sorry to hear your card is missing. I can place an immediate block on it so that no new purchases or withdrawals can be made, and order a replacement at no charge.",
        verified="The card is now blocked. A replacement card will arrive by mail at the address on file within 5 to 7 business days. If you see any transaction you did not make, report it within 60 days and we will open a dispute for you.",
        followups=(
            ("Can I get the new card faster? I'm traveling next week.", "Yes. Expedited delivery arrives within 2 business days for a $25 fee, which we waive for Premier Checking customers. You can also use the digital card in the Northwind mobile app as soon as the replacement is issued."),
            ("Will my automatic bill payments still go through?", "Recurring payments set up with the old card number may be declined. Many merchants receive the new card details automatically, but we recommend updating the card number with each merchant once your replacement arrives."),
            ("What if I find the card again?", "Once a card is reported lost it stays blocked permanently, even if you find it. Please cut it through the chip and use the replacement card instead."),
        ),
        email="I am writing because I lost my Northwind debit card and would like it blocked and replaced as soon as possible.",
    ),
    "dispute_charge": _Topic(
        subject="Disputing a charge on my statement",
        openings=(
            "Hi, I'm {name}. There's a charge of ${amount} from {merchant} on my statement that I never made.",
            "Hello, this is {name}. I was charged twice by {merchant}, ${amount} each time. Can you help?",
            "My name is {name} and I want to dispute a ${amount} payment to {merchant}. I cancelled that order weeks ago. Phone {phone}.",
        ),
        answer="I can help you dispute that charge. Disputes must be filed within 60 days of the statement on which the charge first appeared, and we review every claim within 10 business days.",
        verified="I have opened a dispute for the charge of ${amount} from {merchant}. You will receive a provisional credit for the full amount within 10 business days while we investigate, and we will send the final decision in writing within 45 days.",
        followups=(
            ("Do I need to contact the merchant myself?", "It helps but it is not required. If you have emails or receipts showing you cancelled or never authorized the purchase, upload them in the Disputes section of online banking to support your claim."),
            ("What happens to the provisional credit if the dispute is denied?", "If the investigation finds the charge was valid, the provisional credit is reversed, and we notify you in writing at least 5 business days before the reversal with an explanation of our findings."),
            ("Should I cancel my card?", "For a billing error or a merchant dispute you can keep using your card. If you believe your card number was stolen, we recommend blocking the card and ordering a free replacement."),
        ),
        email="I would like to dispute a charge of ${amount} from {merchant} that appeared on my latest statement. I did not authorize this purchase.",
    ),
    "update_address": _Topic(
        subject="Change of mailing address",
        openings=(
            "Hi, this is {name}. I just moved and need to update my address to {new_address}.",
            "Hello, I'm {name}. My old address was {address}, but I moved to {new_address} last month.",
            "I need to change my mailing address. Name is {name}, new address {new_address}. Email {email}.",
        ),
        answer="Congratulations on the move. I can update your mailing address today; the change applies to statements, cards and tax documents.",
        verified="Your mailing address has been updated. For your security we will send a confirmation letter to both the old and the new address, and a notice to the email on file. Any card already in the mail will still be delivered to the old address.",
        followups=(
            ("Do I need to update my address for my loan separately?", "No. The address change applies to all of your Northwind accounts, including loans and certificates of deposit, so you only need to tell us once."),
            ("When will my statements start going to the new address?", "The next statement generated at least 3 business days after today will go to the new address. You can also switch to paperless statements in online banking at any time."),
        ),
        email="Please update my mailing address to {new_address}. I moved recently and want my statements to go to the new address.",
    ),
    "loan_status": _Topic(
        subject="Status of my loan application",
        openings=(
            "Hi, my name is {name}. I applied for a personal loan last week and haven't heard anything. Can you check the status?",
            "Hello, this is {name}. What's the status of my auto loan application? My phone is {phone}.",
            "I'm {name} and I submitted a home equity application. Is there an update? Email {email}.",
        ),
        answer="I can check that for you. Most loan applications receive a decision within 3 to 5 business days after we receive all required documents, such as proof of income and a government-issued ID.",
        verified="Your application is in underwriting review. All required documents have been received, and you can expect a decision within 3 business days. You will be notified by email and can follow the status under Loans in online banking.",
        followups=(
            ("What do you look at when deciding?", "Our lending standards focus on your debt-to-income ratio and your credit history. In general, applicants with a debt-to-income ratio of 36% or less and a good credit history qualify, and we explain the main reasons in writing if an application is declined."),
            ("Will checking the status affect my credit score?", "No. Checking your application status does not affect your credit score. The only credit inquiry is the one made when you submitted the application."),
        ),
        email="I applied for a personal loan two weeks ago and have not received a decision yet. Could you let me know the status?",
    ),
    "overdraft_fee": _Topic(
        subject="Overdraft fee refund request",
        openings=(
            "Hi, I'm {name}. I was charged a $30 overdraft fee yesterday and I think it's unfair. Can you refund it?",
            "Hello, this is {name}. Why was I charged an overdraft fee? My paycheck arrived the same day. Reach me at {phone}.",
            "My name is {name}. I got hit with two overdraft fees this week. Email is {email}.",
        ),
        answer="I understand how frustrating an unexpected fee is. Our overdraft fee is $30 per item, with a maximum of 3 fees per day, and we do not charge a fee when the account is overdrawn by $10 or less.",
        verified="I reviewed the account and applied a one-time courtesy refund of the most recent overdraft fee; it will appear within 1 to 2 business days. We can grant one courtesy refund every 12 months. To avoid future fees, you can link a savings account for free overdraft protection transfers.",
        followups=(
            ("How do I set up overdraft protection?", "In online banking go to Accounts, then Overdraft Protection, and choose the savings account to link. Transfers are free and cover the shortfall automatically."),
            ("Can I turn off overdrafts completely?", "Yes. You can opt out of overdraft coverage for debit card purchases and ATM withdrawals; those transactions will then be declined instead of creating a fee."),
        ),
        email="I was charged an overdraft fee even though my direct deposit arrived the same day. I would like to ask for a refund.",
    ),
    "wire_limits": _Topic(
        subject="Question about wire transfer limits",
        openings=(
            "Hi, this is {name}. I need to send a wire of ${wire_amount} for a house closing. What's my limit?",
            "Hello, I'm {name}. My online wire transfer was rejected for going over the limit. Phone {phone}.",
            "My name is {name}. How much can I wire internationally per day? Email {email}.",
        ),
        answer="I can help with wire transfers. Online banking allows outgoing domestic wires of up to $25,000 per business day and international wires of up to $10,000 per business day. Larger wires can be sent from any branch, up to $250,000 with photo ID.",
        verified="Your account is eligible for the standard wire limits. Wires submitted before 4:00 p.m. Eastern are sent the same business day. Domestic wires cost $25 and international wires cost $45. For a one-time higher online limit, I can send a temporary increase request to our wire team, who review it within 1 business day.",
        followups=(
            ("Can you raise the limit permanently?", "Permanent limit increases require a review by our wire team and a signed wire agreement at a branch. For a single large payment, such as a home closing, a temporary increase or an in-branch wire is usually faster."),
            ("How do I know the wire instructions are legitimate?", f"Always confirm wire instructions by calling the recipient at a phone number you already know, not one from an email. {BANK} will never ask you to change wire instructions by email."),
        ),
        email="I need to send a wire transfer of ${wire_amount} next week and would like to know how to raise my daily limit.",
    ),
    "online_lockout": _Topic(
        subject="Locked out of online banking",
        openings=(
            "Hi, I'm {name}. I'm locked out of online banking after too many password attempts.",
            "Hello, this is {name}. The app says my account is locked and I need to pay a bill today. Call me at {phone}.",
            "My name is {name} and I can't log in to online banking anymore. My username is tied to {email}.",
        ),
        answer="I'm sorry for the trouble. Online banking locks automatically after 5 failed sign-in attempts to protect your account. I can unlock it once I verify your identity.",
        verified="Your online banking access is unlocked. We have sent a one-time passcode to the phone number on file; use it to sign in and choose a new password within 30 minutes. Your new password must be at least 12 characters long.",
        followups=(
            ("I didn't get the passcode. What now?", "Passcodes can take up to 2 minutes to arrive. If it still does not come, select Resend on the sign-in page. Passcodes are only sent to the phone number on file, so let us know if that number has changed."),
            ("Can I turn on two-step verification?", "Yes. In online banking go to Settings, then Security, and turn on two-step verification. We recommend it for all customers because it blocks most account takeover attempts."),
        ),
        email="I am locked out of online banking after several failed password attempts and cannot reset it myself.",
    ),
}

VERIFICATION_REPLIES = (
    "My date of birth is {dob} and the account number is {account}.",
    "Sure. DOB {dob}, account {account}.",
    "It's account {account}. I was born on {dob}. I live at {address}.",
    "Date of birth {dob}. My social is {ssn} if that helps, and my account is {account}.",
    "Account number {account}, date of birth {dob}. You can reach me at {phone} or {email}.",
)
EMAIL_DETAILS = (
    "My account number is {account} and my date of birth is {dob}.",
    "For reference, my account is {account} and I live at {address}.",
    "In case you need it for verification, my account is {account} and my SSN is {ssn}.",
    "You can reach me at this email or by phone. My account number is {account}.",
)


def _topic_details(rng: random.Random, people: _PersonFactory) -> tuple[dict[str, str], dict[str, str]]:
    """The topic-specific fillers: extra PII (a new address) and plain values (merchant, amounts)."""
    extra_pii = {"new_address": people.address()}
    plain = {
        "merchant": rng.choice(MERCHANTS),
        "amount": f"{rng.randint(12, 480)}.{rng.randint(0, 99):02d}",
        "wire_amount": f"{rng.randint(30, 90) * 1000:,}",
    }
    return extra_pii, plain


def _chat_transcripts(rng: random.Random, people: _PersonFactory, planted: set[str]) -> list[dict]:
    names = [list(TOPICS)[index % len(TOPICS)] for index in range(CHAT_COUNT)]
    rng.shuffle(names)
    transcripts = []
    for topic_name in names:
        topic, person = TOPICS[topic_name], people.person()
        extra_pii, plain = _topic_details(rng, people)
        pii = person.pii() | extra_pii
        plain["last4"] = person.account[-4:]
        verification = rng.choice(VERIFICATION_REPLIES)
        verified = f"Thank you, your identity is verified for the account ending in {plain['last4']}. "
        if "{ssn}" in verification:
            verified = f"{SSN_WARNING} {verified}"
        turns = [
            (rng.choice(topic.openings), f"{topic.answer} {VERIFY_REQUEST}"),
            (verification, verified + topic.verified),
        ]
        if rng.random() < 0.5:
            turns.append(rng.choice(topic.followups))
        messages = [{"role": "system", "content": SYSTEM_PROMPT}] if rng.random() < 0.5 else []
        for index, (user, assistant) in enumerate(turns):
            assistant = _render(assistant, pii, planted, **plain)
            if index == len(turns) - 1:
                assistant = f"{assistant} {CLOSING_LINE}"
            messages.append({"role": "user", "content": _render(user, pii, planted, **plain)})
            messages.append({"role": "assistant", "content": assistant})
        transcripts.append({"customer_id": person.customer_id, "messages": messages})
    return transcripts


def _emails(rng: random.Random, people: _PersonFactory, planted: set[str]) -> list[str]:
    emails = []
    for index in range(EMAIL_COUNT):
        topic, person = TOPICS[list(TOPICS)[index % len(TOPICS)]], people.person()
        extra_pii, plain = _topic_details(rng, people)
        template = (
            "From: {name} <{email}>\n"
            f"To: {SUPPORT_ADDRESS}\n"
            f"Subject: {topic.subject}\n"
            "\n"
            "Hello,\n\n"
            f"{topic.email} {rng.choice(EMAIL_DETAILS)}\n\n"
            "Thank you for your help.\n\n"
            "Best regards,\n{name}\n{phone}\n"
        )
        emails.append(_render(template, person.pii() | extra_pii, planted, **plain))
    return emails


CREDIT_HISTORIES = {  # grade: (largest DTI percent still approved, phrasings)
    "excellent": (43, ("Credit history excellent: no late payments in seven years.", "Excellent credit, all accounts paid as agreed.")),
    "good": (36, ("Credit history good, one 30-day late payment more than two years ago.", "Good credit with a short history and no delinquencies.")),
    "fair": (28, ("Credit history fair: three late payments in the last 24 months.", "Fair credit, high card utilization and one recent 60-day late.")),
    "poor": (-1, ("Credit history poor: an account in collections and a charge-off last year.", "Poor credit, bankruptcy discharged three years ago and recent late payments.")),
}
LOAN_PURPOSES = ("a personal", "an auto", "a home improvement", "a debt consolidation", "a small business")
LOAN_EXTRAS = (
    "Reached applicant by phone at {phone}.",
    "Current address: {address}.",
    "DOB {dob} verified against driver's license.",
    "Employed {years} years as a {job}.",
)
JOBS = ("teacher", "nurse", "warehouse supervisor", "software developer", "electrician", "retail manager", "accountant")


@dataclass(frozen=True)
class _LoanProfile:
    income: int
    debt: int
    dti: int
    grade: str

    @property
    def meets_standards(self) -> bool:
        return self.dti <= CREDIT_HISTORIES[self.grade][0]


def _loan_profile(rng: random.Random) -> _LoanProfile:
    income = rng.randint(28, 180) * 1000
    debt = round(income / 12 * rng.uniform(0.10, 0.55) / 10) * 10
    grade = rng.choices(list(CREDIT_HISTORIES), weights=(25, 35, 25, 15))[0]
    return _LoanProfile(income=income, debt=debt, dti=round(debt * 12 / income * 100), grade=grade)


def _demographics(rng: random.Random, profiles: list[_LoanProfile]) -> list[tuple[str, str, str]]:
    """(gender, age_band, ethnicity) per profile, spread evenly over approvable and non-approvable ones.

    Drawing groups independently would leave chance gaps of 0.15 or more between groups of ~40
    rows, larger than the planted disparity; cycling through each attribute along the profiles
    sorted by their merits gives every group nearly the same share of approvable applications.
    """
    order = list(range(len(profiles)))
    rng.shuffle(order)
    order.sort(key=lambda index: profiles[index].meets_standards)
    # 21 is coprime with the ethnicity (4) and gender (8) cycles, so the attributes do not lock together.
    age_cycle = ["18-29"] * 4 + ["30-44"] * 7 + ["45-64"] * 7 + ["65+"] * 3
    rng.shuffle(age_cycle)
    nonbinary = set(rng.sample(range(len(profiles)), NONBINARY_COUNT))
    demographics: list[tuple[str, str, str]] = [("", "", "")] * len(profiles)
    for position, index in enumerate(order):
        gender = "nonbinary" if index in nonbinary else ("female", "male")[position // 4 % 2]
        demographics[index] = (gender, age_cycle[position % 21], ETHNICITIES[position % 4])
    return demographics


def _outcomes(rng: random.Random, profiles: list[_LoanProfile], ethnicities: list[str]) -> list[bool]:
    """Approved when the note meets the lending standards, less a planted disparity and a little noise."""
    approved = [profile.meets_standards for profile in profiles]
    disadvantaged = [i for i, ok in enumerate(approved) if ok and ethnicities[i] == DISADVANTAGED_ETHNICITY]
    for index in rng.sample(disadvantaged, round(len(disadvantaged) * DISPARITY_DECLINE_RATE)):
        approved[index] = False
    for index in rng.sample(range(len(profiles)), NOISE_FLIPS):
        approved[index] = not approved[index]
    return approved


AGE_RANGES = {"18-29": (19, 29), "30-44": (30, 44), "45-64": (45, 64), "65+": (65, 84)}


def _loan_rows(rng: random.Random, people: _PersonFactory, planted: set[str]) -> list[dict[str, str]]:
    profiles = [_loan_profile(rng) for _ in range(LOAN_NOTE_COUNT)]
    demographics = _demographics(rng, profiles)
    approved = _outcomes(rng, profiles, [ethnicity for _, _, ethnicity in demographics])
    rows = []
    for index, (profile, (gender, age_band, ethnicity)) in enumerate(zip(profiles, demographics)):
        person = people.person(gender=gender, age=rng.randint(*AGE_RANGES[age_band]))
        template = " ".join([
            "Applicant {name} applied for {purpose} loan of ${loan}.",
            "Stated annual income ${income}; monthly debt payments ${debt}, debt-to-income ratio {dti}%.",
            rng.choice(CREDIT_HISTORIES[profile.grade][1]),
            *rng.sample(LOAN_EXTRAS, rng.randint(0, 2)),
        ])
        note = _render(
            template, person.pii(), planted,
            purpose=rng.choice(LOAN_PURPOSES), loan=f"{rng.randint(3, 60) * 1000:,}", income=f"{profile.income:,}",
            debt=f"{profile.debt:,}", dti=str(profile.dti), years=str(rng.randint(1, 25)), job=rng.choice(JOBS),
        )
        rows.append({
            "note_id": f"N{index + 1:04d}", "customer_id": person.customer_id, "note": note,
            "outcome": "approved" if approved[index] else "declined", "gender": gender,
            "age_band": age_band, "ethnicity": ethnicity,
        })
    return rows


def _csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LOAN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


POLICIES = {
    "fees.md": """# Schedule of Fees

This schedule lists the fees that {bank} charges on personal deposit accounts. Fees are reviewed once a year, and we give at least 30 days' written notice before any fee increases.

## Overdraft and returned items

An overdraft happens when a transaction is paid even though the account does not have enough available funds. The overdraft fee is $30 per item, with a maximum of 3 overdraft fees per business day. We do not charge an overdraft fee when the account is overdrawn by $10 or less at the end of the business day. A returned (non-sufficient funds) item is charged $30. Customers may request one courtesy refund of an overdraft fee every 12 months.

Overdraft protection transfers from a linked Northwind savings account are free. Customers may opt out of overdraft coverage for debit card purchases and ATM withdrawals at any time; those transactions are then declined without a fee.

## Wire transfers

Outgoing domestic wires cost $25 and outgoing international wires cost $45. Incoming wires are free. Online banking allows outgoing domestic wires of up to $25,000 and international wires of up to $10,000 per business day; branches can send wires of up to $250,000 with photo ID. Wires submitted before 4:00 p.m. Eastern are sent the same business day.

## Cards

Replacement of a lost or stolen card is free with standard delivery (5 to 7 business days). Expedited delivery within 2 business days costs $25 and is waived for Premier Checking customers.
""",
    "card-disputes.md": """# Card Dispute Policy

This policy explains how {bank} handles disputed debit and credit card transactions, including unauthorized charges, duplicate charges, and purchases that were cancelled or never delivered.

## Reporting a dispute

Customers must report a disputed transaction within 60 days of the date of the statement on which it first appeared. Disputes can be opened in online banking under Disputes, through chat, by secure email, or at any branch. We verify the customer's identity with their date of birth and account number before opening a dispute; we never ask for a full Social Security number in chat or email.

## Investigation and provisional credit

Every claim is reviewed within 10 business days. While the investigation continues, we issue a provisional credit for the disputed amount within 10 business days. We send the final decision in writing within 45 days. If the charge is found to be valid, the provisional credit is reversed, and we notify the customer at least 5 business days before the reversal with an explanation of our findings.

## Lost and stolen cards

A card reported lost or stolen is blocked immediately and stays blocked permanently, even if it is found later. A replacement is mailed to the address on file. Customers are not liable for unauthorized transactions reported within 60 days.
""",
    "privacy-notice.md": """# Privacy Notice

{bank} collects personal information to open and service accounts, to comply with the law, and to protect customers from fraud. This notice explains what we collect, how we use it, with whom we share it, and the choices customers have.

## What we collect

We collect identification details such as name, date of birth, postal address, email address, phone number and government identifiers; account information such as balances, transactions and payment history; and information from credit bureaus when a customer applies for credit. We record customer support chats and emails to improve service quality and to train our staff and support tools.

## How we use and share information

We use personal information to provide the products customers request, to verify identity, to detect and prevent fraud, to meet legal and regulatory obligations, and to improve our services. We do not sell personal information. We share it only with service providers bound by contract to protect it, with credit bureaus as permitted by law, and with regulators and law enforcement when required. Any data used to build internal analytics or automated support tools is de-identified first, and direct identifiers are removed or masked before such use.

## Security and retention

We protect information with encryption, access controls and regular audits. Support staff see only the last 4 digits of account numbers. We keep records only as long as required by law or needed for the purpose for which they were collected, and then delete or anonymize them.

## Your choices

Customers may ask for a copy of their information, ask us to correct it, and, where the law allows, ask us to delete it. Customers may opt out of marketing at any time in online banking under Settings, then Privacy.

## Contact

Questions about this notice can be directed to our Data Protection Officer, {contact_name}, at {contact_phone} or by writing to privacy@northwind-bank.example.
""",
    "lending-standards.md": """# Lending Standards

These standards guide how {bank} evaluates applications for personal, auto, home improvement, debt consolidation and small business loans. They exist so that every applicant is assessed on the same financial criteria.

## Debt-to-income ratio

The debt-to-income (DTI) ratio is total monthly debt payments divided by gross monthly income. Applicants with excellent credit history qualify with a DTI of up to 43%. Applicants with good credit history qualify with a DTI of up to 36%. Applicants with fair credit history qualify with a DTI of up to 28%. Applications with a DTI above 43% are declined.

## Credit history

Excellent credit means no late payments in recent years. Good credit allows a single late payment more than two years ago or a short history with no delinquencies. Fair credit includes several recent late payments or high card utilization. Poor credit, such as accounts in collections, recent charge-offs or a recent bankruptcy, does not qualify for unsecured lending.

## Fair lending

Decisions must never depend on gender, age, ethnicity or any other protected characteristic. Loan officers record the applicant's income, debts and credit history in the loan note, and every declined applicant receives a written notice with the principal reasons. Decisions are reviewed quarterly for disparities between groups.

## Timelines

Most applications receive a decision within 3 to 5 business days after all required documents, such as proof of income and a government-issued ID, have been received.
""",
}


def _policies(people: _PersonFactory, planted: set[str]) -> dict[str, str]:
    contact = people.person()
    pii = {"contact_name": contact.name, "contact_phone": contact.phone}
    return {name: _render(text, pii, planted, bank=BANK) for name, text in POLICIES.items()}


def _readme(rows: list[dict[str, str]]) -> str:
    approved = sum(row["outcome"] == "approved" for row in rows)
    return f"""# Northwind Savings Bank demo corpus

A small, fully synthetic corpus for trying the appliance end to end. The bank, its
customers and every identifying detail are invented from fixed word lists with a seeded
random generator: the same seed always produces byte-identical files.

| Path | Contents |
| --- | --- |
| `chats/transcripts.jsonl` | {CHAT_COUNT} support chats, one JSON object per line (`customer_id`, `messages`) |
| `emails/*.txt` | {EMAIL_COUNT} inbound support emails (From, To, Subject headers, then the body) |
| `policies/*.md` | {len(POLICIES)} policy documents: fees, card disputes, privacy notice, lending standards |
| `loan_notes.csv` | {len(rows)} loan officer notes with columns {", ".join(LOAN_COLUMNS)} |

The chats, emails, loan notes and one policy deliberately contain synthetic personal data
(names, emails, phone numbers in the fictional 555-01xx style, account numbers, street
addresses, dates of birth and SSN-like numbers in the 900 area range), so that scrubbing and
leak checks have something to find.

In `loan_notes.csv`, {approved} of {len(rows)} applications are approved. The outcome follows
the debt-to-income ratio and credit history written in each note, as the lending standards
describe, with a small planted disparity between ethnicity groups for the fairness audit to
detect. The nonbinary gender group is deliberately small.
"""


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def generate_demo_corpus(out_dir: Path, seed: int = 0) -> DemoCorpus:
    """Write the synthetic Northwind Savings Bank corpus under out_dir.

    Example: generate_demo_corpus(Path("demo"), seed=0).planted_pii
    """
    rng = random.Random(seed)
    people = _PersonFactory(rng)
    planted: set[str] = set()
    transcripts = _chat_transcripts(rng, people, planted)
    emails = _emails(rng, people, planted)
    rows = _loan_rows(rng, people, planted)
    contents: dict[str, str] = {
        "chats/transcripts.jsonl": "".join(json.dumps(item) + "\n" for item in transcripts),
        "loan_notes.csv": _csv_text(rows),
        "README.md": _readme(rows),
    }
    contents |= {f"emails/email_{index + 1:03d}.txt": text for index, text in enumerate(emails)}
    contents |= {f"policies/{name}": text for name, text in _policies(people, planted).items()}
    root = Path(out_dir)
    for relative, text in contents.items():
        _write_atomic(root / relative, text)
    return DemoCorpus(
        root=root,
        files=tuple(sorted(root / relative for relative in contents)),
        planted_pii=tuple(sorted(planted)),
    )
