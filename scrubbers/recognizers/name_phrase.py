"""PERSON: names announced by the words around them, which spaCy's small model misses.

spaCy leans on capitalisation and on prose, so chat text ("my name is maria lopez",
"this is Lucas Fontaine"), form exports ("MARIA LOPEZ") and mail headers
("From: Emily Gallagher <emily@...>") slip past it. A few cheap, precise cues cover them.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

# Words that follow an introduction but are not names ("my name is not important").
NOT_A_NAME = (
    r"(?!(?i:and|but|not|here|there|the|a|an|on|in|at|from|with|calling|i|is|was|my|your|when|if|back|later|"
    r"tomorrow|today|now|again|anytime|asap|soon|before|after|as|so|or|to|for|please|thanks)\b)"
)
WORD = rf"{NOT_A_NAME}[\p{{L}}][\p{{L}}'’-]+"
INTRODUCTION = (
    r"(?<=\b(?i:my\s+name\s+is|my\s+name's|name\s+is|call\s+me|calls\s+me|full\s+name:?|last\s+name\?|"
    r"surname\s+is|first\s+name\s+is|last\s+name\s+is|goes\s+by)\s+)"
)
INTRODUCED_NAME = rf"{INTRODUCTION}{WORD}(?:\s+{WORD})?\b"

# A "Name:" field at the start of a line (forms, exports, signatures), in any case: the whole value.
NAME_FIELD_LINE = (
    r"(?<=^[ \t>]*(?i:(?:patient|customer|client|full|first|last|given|family|employee|contact|legal|maiden|"
    r"account\s+holder|card\s*holder|member|guest|caller|applicant)[ \t]+)?(?i:name)[ \t]*:[ \t]*)"
    rf"{WORD}(?:[ \t]+(?:\p{{Lu}}\.?|{WORD})){{0,3}}\b"
)

# "I'm Lucas", "this is Lucas Fontaine": only capitalised words, "this is great" is not a name.
CAPITALISED = rf"{NOT_A_NAME}\p{{Lu}}\p{{Ll}}+"
SELF_INTRODUCTION = r"(?<=\b(?i:this\s+is|i\s+am|i'm|i’m|it's|it’s)[ \t]+)"
SELF_INTRODUCED_NAME = rf"{SELF_INTRODUCTION}{CAPITALISED}(?:[ \t]+{CAPITALISED})?\b"

# "was called Crystal Murdock", "named Sepi", "says Lugo.", "speak to Aloisia": a capitalised
# name after a naming or speech verb. Only capitalised words, so "called back" is not a name.
NAMING = (
    r"(?<=\b(?i:called|named|nicknamed|known\s+as|says|said|asked|replied|wrote|told|thanks|thank\s+you|"
    r"speak\s+(?:to|with)|talk\s+(?:to|with)|spoke\s+(?:to|with)|ask\s+for|married|dear|hi|hello|hey|dearest)[ \t,]+)"
)
# Titles are left to TitledNameRecognizer ("Dear Mr. <PERSON>"); days, months and greetings are not names.
NOT_NAMED = (
    r"(?!(?:Mr|Mrs|Ms|Mx|Dr|Prof|Sir|Madam|Madame|Team|All|Everyone|Everybody|Customer|Client|Colleagues|Friends|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Today|Tomorrow|Yesterday|January|February|March|"
    r"April|May|June|July|August|September|October|November|December|There|Again|Back|Please|Yes|No|Okay|OK)\b)"
)
NAMED = rf"{NAMING}{NOT_NAMED}{CAPITALISED}(?:[ \t]+{NOT_NAMED}{CAPITALISED}){{0,2}}\b"
# Words that start a line before a colon as field labels, not speaker names (see speaker_label).
FIELD_LABELS = (
    r"(?!(?:Date|Time|Name|Address|Phone|Email|E-mail|Subject|From|To|Cc|Bcc|Sent|Note|Notes|Agent|Caller|Customer|"
    r"Speaker|Patient|Doctor|Nurse|Q|A|Re|Fax|Tel|Mobile|Summary|Plan|Assessment|Diagnosis|History|Question|Answer|"
    r"Warning|Error|Info|Status|Title|Description|Comment|Comments|Reason|Result|Results|Total|Price|Order|Ticket|"
    r"Location|Where|When|Who|What|Why|How|Step|Example|Update|Action|Owner|Priority|Type|Category|Source|Reference|"
    r"Attachment|Signature|Regards|Dear|Hi|Hello|User|System|Assistant|Bot|Admin|Host|Guest|Interviewer|Moderator|"
    r"Operator|Representative|Support|Manager|Employee|Client|Member|Applicant|Instructions|Medications|Allergies|"
    r"Vitals|Labs|Impression|Findings|Procedure|Indication|Age|Sex|Gender|Occupation|Company|Department|Position|Role|"
    r"Website|Account|Card|Note|Tip|Input|Output|Response|Request|Topic|Agenda|Minutes|Attendees|Objective|Goal|"
    r"Directed|Written|Produced|Posted|Created|Updated|Edited|Reviewed|Approved|Signed|Prepared|Submitted|Mission|"
    r"Vision|Purpose|Scope|Background|Overview|Conclusion|Introduction|Disclaimer|Notice|Important|Caution)\b)"
)

# The display name of an address: "Emily Gallagher <emily.g@example.com>".
DISPLAY_NAME = r"\p{Lu}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*){0,2}(?=[ \t]*<[^<>\s@]+@)"

# Frequent US given names in capitals; ambiguous words (WILL, MARK, BILL, MAY, JUNE) are left out.
GIVEN_NAMES = (
    "JAMES|JOHN|ROBERT|MICHAEL|WILLIAM|DAVID|RICHARD|JOSEPH|THOMAS|CHARLES|CHRISTOPHER|"
    "DANIEL|MATTHEW|ANTHONY|DONALD|STEVEN|PAUL|ANDREW|JOSHUA|KENNETH|KEVIN|BRIAN|GEORGE|"
    "EDWARD|RONALD|TIMOTHY|JASON|JEFFREY|RYAN|JACOB|GARY|NICHOLAS|ERIC|JONATHAN|STEPHEN|"
    "LARRY|JUSTIN|SCOTT|BRANDON|BENJAMIN|SAMUEL|GREGORY|FRANK|RAYMOND|PATRICK|JOSE|CARLOS|"
    "LUIS|JUAN|MARY|PATRICIA|JENNIFER|LINDA|ELIZABETH|BARBARA|SUSAN|JESSICA|SARAH|KAREN|"
    "NANCY|LISA|BETTY|MARGARET|SANDRA|ASHLEY|KIMBERLY|EMILY|DONNA|MICHELLE|DOROTHY|CAROL|"
    "AMANDA|MELISSA|DEBORAH|STEPHANIE|REBECCA|SHARON|LAURA|CYNTHIA|KATHLEEN|AMY|SHIRLEY|"
    "ANGELA|HELEN|ANNA|BRENDA|PAMELA|NICOLE|EMMA|SAMANTHA|KATHERINE|CHRISTINE|RACHEL|"
    "CATHERINE|MARIA|HEATHER|DIANE|JULIE|OLIVIA|SOPHIA|ISABELLA|MIA|ANA|ROSA|CARMEN|LUCIA"
)
CAPS_NAME = rf"\b(?:{GIVEN_NAMES})(?:\s+\p{{Lu}}\.?)?\s+\p{{Lu}}{{2,}}(?:['’-]\p{{Lu}}{{2,}})?\b"


class NamePhraseRecognizer(PatternRecognizer):
    """"my name is <any case>", "Name: <any case>", "this is <Capitalised>", "called <Capitalised>", mail display names, "GIVEN SURNAME" in capitals."""

    PATTERNS = [
        Pattern("introduced name", INTRODUCED_NAME, 0.7),
        Pattern("name field", NAME_FIELD_LINE, 0.7),
        Pattern("self-introduced name", SELF_INTRODUCED_NAME, 0.6),
        Pattern("mail display name", DISPLAY_NAME, 0.8),
        Pattern("all caps name", CAPS_NAME, 0.6),
        Pattern("name after naming or speech verb", NAMED, 0.55),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PERSON",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # the capitals pattern must not match "john smith"
        )
