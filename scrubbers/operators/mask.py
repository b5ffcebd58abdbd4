"""Mask a value with `*`, keeping a few trailing alphanumerics (e.g. the last four of a card)."""

MASK_CHARACTER = "*"


def mask(value: str, entity_type: str, *, keep_last: int = 0, salt: bytes = b"") -> str:
    """Star every letter and digit except the last `keep_last`; separators stay.

    Separators are kept so a masked card still reads as a card (`**** **** **** 1111`).
    At most half of the alphanumerics are ever left visible: `keep_last=4` on a
    four-digit value would otherwise reveal all of it.

    >>> mask("4111 1111 1111 1234", "CREDIT_CARD", keep_last=4)
    '**** **** **** 1234'
    """
    alphanumeric = sum(character.isalnum() for character in value)
    visible = min(keep_last, alphanumeric // 2)
    hidden = alphanumeric - visible
    masked = []
    for character in value:
        if character.isalnum():
            masked.append(MASK_CHARACTER if hidden > 0 else character)
            hidden -= 1
        else:
            masked.append(character)
    return "".join(masked)
