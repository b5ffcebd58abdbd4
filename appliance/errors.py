"""The one error type meant for users, and the exit codes that mean something."""

from __future__ import annotations

import errno

EXIT_USER_ERROR = 1
EXIT_GATE_FAILED = 3

# Failures of the disk rather than of the program: the user can fix them, then re-run the same command.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS})


class ApplianceError(Exception):
    """A one-line message for the user: names the bad thing and what to do. Never holds PII."""

    exit_code = EXIT_USER_ERROR


class GateFailed(ApplianceError):
    """A compliance gate failed; the report was written and says which."""

    exit_code = EXIT_GATE_FAILED


class DiskError(ApplianceError):
    """A write failed because the disk is full, read-only or not ours to write; nothing was half-written."""

    @classmethod
    def from_os_error(cls, exc: OSError, path: object = None, *, writing: bool = True) -> DiskError:
        where = path if path is not None else (exc.filename or "a file")
        then = "then re-run the same command (finished stages are kept)"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return cls(f"no space left on the disk holding {where}; free some space there (or choose another location), {then}")
        if exc.errno == errno.EROFS:
            return cls(f"{where} is on a read-only file system; remount it read-write or choose another location, {then}")
        if writing:
            return cls(f"permission denied writing {where}; make it writable by this user (chmod/chown) or choose another location, {then}")
        return cls(f"permission denied on {where}; give this user access to it (chmod/chown) or choose another location, {then}")
