"""The scrubber's one user-facing error."""

from appliance.errors import ApplianceError


class ScrubberConfigError(ApplianceError, ValueError):
    """A policy the scrubber cannot honour (unsupported entity type, bad pattern, missing salt).

    The message names entity types, pattern positions and what to do; never a text value.
    """
