"""Structured logs: one JSON object per line, with the dotted event name, the log context and the extra fields.

`configure_logging(format="text")` writes the same records for a person at a terminal instead (the interactive
commands' default): `time level event key=value …`.

`log_context(job_id=..., contact_ids=...)` adds fields to every record logged inside it (in this thread or task:
the context lives in a `ContextVar`); lists are logged as their first `LISTED_IDS` items plus a count. The
formatter masks secrets as a last line of defence: `Bearer …`, credentials in URLs (`scheme://user:password@`),
secret query parameters and the exact values given to `configure_logging(secrets=...)`.

This module imports nothing of the project, so every layer may log with context.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

LISTED_IDS = 20  # ids logged per list field; `<name>_count` says how many there were
MIN_SECRET_LENGTH = 8  # shorter values would mask ordinary words (the URL pattern still masks short passwords)
MASK = "***"

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_CONTEXT: ContextVar[Mapping[str, Any]] = ContextVar("leadflow_log_context", default=MappingProxyType({}))
_PATTERNS = (
    (re.compile(r"\b([Bb]earer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1\2{MASK}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/@:\"']*):[^\s/@\"']+@"), rf"\1:{MASK}@"),
    (
        re.compile(r"(?i)([?&](?:access_token|client_secret|hapikey|api_key|apikey|token|password)=)[^&\s\"']+"),
        rf"\1{MASK}",
    ),
)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` to every record logged inside the block (None values are left out)."""
    token = _CONTEXT.set(MappingProxyType({**_CONTEXT.get(), **_context_fields(fields)}))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_log_context() -> Mapping[str, Any]:
    """Return the fields the log context adds to records logged now."""
    return _CONTEXT.get()


def _context_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(map(str, value)) if isinstance(value, set | frozenset) else [str(item) for item in value]
            found[key] = items[:LISTED_IDS]
            found[f"{key.removesuffix('_ids')}_count"] = len(items)
        else:
            found[key] = value
    return found


class Redactor:
    """Mask credentials in a text: known secret values, bearer tokens, URL passwords, secret query parameters."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH}
        escaped = {json.dumps(secret)[1:-1] for secret in values}  # as the secret appears inside a JSON string
        self._secrets = sorted(values | escaped, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class JsonFormatter(logging.Formatter):
    """Format a record as JSON: time, level, logger, event, the log context and every `extra` field; redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in _CONTEXT.get().items():
            entry.setdefault(key, value)
        entry.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, default=str))


class TextFormatter(logging.Formatter):
    """Format a record for a terminal: time, level, event, then the log context and `extra` fields as key=value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        fields = {**_CONTEXT.get(), **{k: v for k, v in record.__dict__.items() if k not in _STANDARD}}
        moment = datetime.fromtimestamp(record.created).astimezone().strftime("%H:%M:%S")
        parts = [moment, f"{record.levelname.lower():<7}", record.getMessage()]
        parts += [f"{key}={_text_value(value)}" for key, value in fields.items()]
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return self.redact(text)


def _text_value(value: Any) -> str:
    """Return a field's value as one token: quoted when it holds spaces or quotes."""
    if isinstance(value, list | tuple):
        value = ",".join(map(str, value))
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if not text or any(c in text for c in ' "=\n') else text


# At a terminal these libraries' own chatter says less than Leadflow's records: urllib3 logs each connection retry
# inside one HubSpot call (`hubspot.retry` reports the call's), Alembic each migration step. LOG_LEVEL=DEBUG shows them.
QUIET_AT_A_TERMINAL: Mapping[str, int] = {"urllib3": logging.ERROR, "alembic": logging.WARNING}


def _quiet_at_a_terminal(record: logging.LogRecord) -> bool:
    """Drop the chatter of QUIET_AT_A_TERMINAL (a handler's filter: the HubSpot SDK resets urllib3's level)."""
    library = record.name.partition(".")[0]
    return record.levelno >= QUIET_AT_A_TERMINAL.get(library, logging.NOTSET)


LOG_FORMATTERS: Mapping[str, type[JsonFormatter | TextFormatter]] = {"json": JsonFormatter, "text": TextFormatter}


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), format: str = "json") -> None:
    """Send Leadflow's and RQ's logs, as JSON lines (or `format="text"`) with `secrets` masked, to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LOG_FORMATTERS[format](secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("rq", "rq.worker", "rq.scheduler", "rq.cron"):
        rq_logger = logging.getLogger(name)
        rq_logger.handlers[:] = [handler]  # rq's loggers do not propagate to the root logger
        rq_logger.propagate = False
        rq_logger.setLevel(level)
    if format == "text" and level != "DEBUG":
        handler.addFilter(_quiet_at_a_terminal)
