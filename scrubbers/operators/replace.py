"""Replace a value with its typed placeholder, e.g. `<PERSON>`."""


def replace(value: str, entity_type: str, *, keep_last: int = 0, salt: bytes = b"") -> str:
    """Return `<ENTITY_TYPE>`: the model still learns that a name or an email stood here.

    >>> replace("Jane Doe", "PERSON")
    '<PERSON>'
    """
    return f"<{entity_type}>"
