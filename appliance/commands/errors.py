"""How every command reports errors meant for users: one line, and an exit code that means something."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from appliance.errors import DISK_ERRNOS, ApplianceError, DiskError


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's user-facing errors into a one-line message and a meaningful exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from policies import PolicyError

        try:
            return func(*args, **kwargs)
        except ApplianceError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except PolicyError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:
            # Writes by libraries (checkpoints, tokenizers) and directory creation fail here, not in files.py.
            if exc.errno not in DISK_ERRNOS:
                raise
            # Not known to be a write: it may be a read of a file this user may not open.
            error = DiskError.from_os_error(exc, writing=False)
            click.echo(f"Error: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper
