"""The one error type meant for users, and the exit codes that mean something."""

EXIT_USER_ERROR = 1
EXIT_GATE_FAILED = 3


class ApplianceError(Exception):
    """A one-line message for the user: names the bad thing and what to do. Never holds PII."""

    exit_code = EXIT_USER_ERROR


class GateFailed(ApplianceError):
    """A compliance gate failed; the report was written and says which."""

    exit_code = EXIT_GATE_FAILED
