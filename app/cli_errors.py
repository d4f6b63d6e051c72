"""What a `leadflow` command says when it fails for a reason the user can fix: one line, never a traceback.

`explain(exc, settings)` returns that line, naming the variable, file or option to fix, or None for any other
failure, which keeps its traceback (it is a bug). The failures it knows, in the order it asks:

- `SettingsError`, `ConfigError`: their own message (the variable; the file, rule and problem);
- the ledger database refusing or failing (SQLAlchemy's `OperationalError`, a missing driver): DATABASE_URL;
- Redis refusing or not answering (redis-py's `ConnectionError`, `TimeoutError`): REDIS_URL;
- HubSpot refusing the access token (401) or a request of it (403): HUBSPOT_ACCESS_TOKEN; HubSpot not answering
  or failing otherwise: HUBSPOT_API_BASE.

A URL is shown with its password masked, and every secret of the settings is masked in the line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click

from app.logs import Redactor
from app.observability.secrets import secret_values
from app.settings import Settings

Describe = Callable[[BaseException, Settings | None], str | None]


class UserInputError(click.ClickException):
    """Input of a command the user can fix (an option, a file it names): one line, exit status 2."""

    exit_code = 2


def option_instant(text: str | None, option: str) -> datetime | None:
    """Return the instant an option names (None when left out); one that is not ISO 8601 is the user's to fix."""
    from app.rules.kpis import parse_instant

    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise UserInputError(
            f"{option}: {text!r} is not an ISO 8601 date or time (2026-11-03, 2026-11-03T09:15:00Z)"
        ) from None
    except OverflowError:
        raise UserInputError(f"{option}: {text!r} lies outside the years 1 to 9999 in UTC") from None


def explain(exc: BaseException, settings: Settings | None) -> str | None:
    """Return the one line that tells the user what to fix, or None when `exc` is not theirs to fix."""
    for describe in DESCRIBERS:
        line = describe(exc, settings)
        if line is not None:
            return Redactor(secret_values(settings) if settings else ())(line)
    return None


def _own_message(exc: BaseException, _settings: Settings | None) -> str | None:
    from app.rules import ConfigError
    from app.settings import SettingsError

    return str(exc) if isinstance(exc, SettingsError | ConfigError) else None


def _database(exc: BaseException, settings: Settings | None) -> str | None:
    from sqlalchemy.exc import NoSuchModuleError, OperationalError

    where = _variable("DATABASE_URL", settings.database_url if settings else None)
    if isinstance(exc, OperationalError):
        return f"cannot use the ledger database ({where}): {_first_line(exc.orig or exc)}"
    if isinstance(exc, NoSuchModuleError):
        return f"no database driver for the ledger database ({where}): {_first_line(exc)}"
    return None


def _redis(exc: BaseException, settings: Settings | None) -> str | None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if not isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return None
    where = _variable("REDIS_URL", settings.redis_url if settings else None)
    return f"cannot reach Redis ({where}): {_first_line(exc)}"


def _hubspot(exc: BaseException, settings: Settings | None) -> str | None:
    from app.sync.hubspot.errors import HubSpotError

    if not isinstance(exc, HubSpotError):
        return None
    if exc.status == 401:
        return f"HubSpot refused the access token (HUBSPOT_ACCESS_TOKEN): {_first_line(exc)}"
    if exc.status == 403:
        return f"HubSpot refused a request made with the access token (HUBSPOT_ACCESS_TOKEN): {_first_line(exc)}"
    where = _variable("HUBSPOT_API_BASE", settings.api_base if settings else None)
    if exc.status is None:
        return f"HubSpot did not answer ({where}): {_first_line(exc)}"
    return f"HubSpot failed ({where}): {_first_line(exc)}"


DESCRIBERS: tuple[Describe, ...] = (_own_message, _database, _redis, _hubspot)


def _variable(name: str, value: str | None) -> str:
    """Return `NAME=value` (the password masked by `explain`), or the name alone when the value is unknown."""
    return f"{name}={value}" if value else name


def _first_line(exc: BaseException) -> str:
    """Return the first line of the exception's message (drivers add hints and links on the lines below)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
