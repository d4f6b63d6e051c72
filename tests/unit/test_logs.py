"""JSON log lines: the log context merged into every record, and secrets masked as a last line of defence."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from app.logs import LISTED_IDS, JsonFormatter, Redactor, configure_logging, current_log_context, log_context


def formatted(formatter: JsonFormatter, message: str = "drain.scored", **extra: Any) -> dict[str, Any]:
    record = logging.LogRecord("app.sync", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    entry: dict[str, Any] = json.loads(formatter.format(record))
    return entry


def test_a_record_carries_the_log_context_and_its_own_fields() -> None:
    with log_context(job="drain", job_id="a1b2", contact_ids=["101", "102"]):
        entry = formatted(JsonFormatter(), written=2)
    assert entry["event"] == "drain.scored"
    assert (entry["job"], entry["job_id"], entry["written"]) == ("drain", "a1b2", 2)
    assert (entry["contact_ids"], entry["contact_count"]) == (["101", "102"], 2)


def test_a_long_list_of_ids_is_logged_as_its_first_ones_and_a_count() -> None:
    with log_context(event_ids=list(range(1000, 1100))):
        entry = formatted(JsonFormatter())
    assert entry["event_ids"] == [str(n) for n in range(1000, 1000 + LISTED_IDS)]
    assert entry["event_count"] == 100


def test_nested_contexts_add_fields_and_the_outer_one_comes_back_on_exit() -> None:
    with log_context(request_id="r-1"):
        with log_context(event_ids=[7], job_id=None):
            assert dict(current_log_context()) == {"request_id": "r-1", "event_ids": ["7"], "event_count": 1}
        assert dict(current_log_context()) == {"request_id": "r-1"}
    assert dict(current_log_context()) == {}


def test_a_record_field_wins_over_the_context_and_the_basic_fields_win_over_both() -> None:
    with log_context(contact_id="1", event="not-the-event", level="not-the-level"):
        entry = formatted(JsonFormatter(), contact_id="2")
    assert (entry["contact_id"], entry["event"], entry["level"]) == ("2", "drain.scored", "info")


def test_the_context_of_one_thread_is_not_seen_by_another() -> None:
    seen: list[dict[str, Any]] = []
    with log_context(job_id="only-here"):
        thread = threading.Thread(target=lambda: seen.append(dict(current_log_context())))
        thread.start()
        thread.join()
    assert seen == [{}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer pat-na1-0123456789abcdef", "Authorization: Bearer ***"),
        ("header bearer abcdefgh12345678 sent", "header bearer *** sent"),
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***"),
        (
            "postgresql+psycopg://leadflow:s3cr3t-pw@db:5432/leadflow",
            "postgresql+psycopg://leadflow:***@db:5432/leadflow",
        ),
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        ("https://api.example/v1?hapikey=abc123&limit=10", "https://api.example/v1?hapikey=***&limit=10"),
        ("GET /x?access_token=abc&token=def", "GET /x?access_token=***&token=***"),
        ("http://127.0.0.1:8080/crm/v3 and a bearer of news", "http://127.0.0.1:8080/crm/v3 and a bearer of news"),
    ],
)
def test_the_redactor_masks_credentials_by_their_shape(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


def test_the_redactor_masks_known_secrets_as_written_and_as_escaped_in_json() -> None:
    secret = 'cs-"quoted\\secret'
    redact = Redactor([secret, "short"])
    line = json.dumps({"detail": f"secret {secret} and short"})
    assert secret not in redact(line)
    assert json.dumps(secret)[1:-1] not in redact(line)
    assert "short" in redact(line)  # too short to mask without masking ordinary words


def test_the_formatter_masks_secrets_in_messages_fields_and_tracebacks() -> None:
    formatter = JsonFormatter(secrets=["the-access-token-123"])
    try:
        raise RuntimeError("HubSpot refused the-access-token-123 at postgresql://u:pw-in-url@db/x")
    except RuntimeError:
        record = logging.LogRecord(
            "app", logging.ERROR, __file__, 1, "boom %s", ("the-access-token-123",), sys.exc_info()
        )
    record.__dict__["url"] = "redis://:pw-in-redis@cache/0"
    line = formatter.format(record)
    for secret in ("the-access-token-123", "pw-in-url", "pw-in-redis"):
        assert secret not in line
    assert json.loads(line)["event"] == "boom ***"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root and RQ loggers back as they were (configure_logging replaces their handlers)."""
    names = ["", "rq", "rq.worker", "rq.scheduler", "rq.cron"]
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in names}
    propagate = {name: logging.getLogger(name).propagate for name in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate[name]


def test_configure_logging_writes_redacted_json_lines_for_leadflow_and_rq(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", secrets=["admin-token-0123456789"])
    with log_context(job_id="j-42"):
        logging.getLogger("app.workers").info("job.drain", extra={"token": "admin-token-0123456789"})
        logging.getLogger("rq.worker").info("Job OK (j-42)")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["event"], line["job_id"]) for line in lines] == [
        ("app.workers", "job.drain", "j-42"),
        ("rq.worker", "Job OK (j-42)", "j-42"),
    ]
    assert lines[0]["token"] == "***"


def test_text_logs_read_as_a_line_with_key_values_and_mask_secrets(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", secrets=["admin-token-0123456789"], format="text")
    with log_context(job_id="j-42"):
        logging.getLogger("app.sync.hubspot.retry").warning(
            "hubspot.retry",
            extra={"operation": "read contacts", "wait_seconds": 1.5, "token": "admin-token-0123456789"},
        )
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(' warning hubspot.retry job_id=j-42 operation="read contacts" wait_seconds=1.5 token=***')
    assert not line.startswith("{")


def test_text_logs_leave_out_urllib3s_and_alembics_chatter_unless_debugging(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", format="text")
    logging.getLogger("urllib3.connectionpool").warning("Retrying (Retry(total=2))")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade")
    logging.getLogger("app.sync").warning("drain.write-refused")
    assert [line.split()[-1] for line in capsys.readouterr().err.splitlines()] == ["drain.write-refused"]
    configure_logging("DEBUG", format="text")
    logging.getLogger("urllib3.connectionpool").warning("Retrying (Retry(total=2))")
    assert "Retrying" in capsys.readouterr().err
