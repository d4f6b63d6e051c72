"""Handover notifications: Slack-compatible JSON, one short retry when the receiver failed, never an exception,
and never the webhook URL's secret path in a result or a log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import requests
import responses

from app.sync.handover.notify import NotificationResult, NullNotifier, WebhookNotifier

SECRET_PATH = "/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
URL = f"https://hooks.slack.example{SECRET_PATH}"
NOTE = {
    "text": "New MQL for Ada Lovelace: Ada at Big Co (score 72, B1)",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "New MQL for Ada Lovelace"}}],
}


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def notifier() -> WebhookNotifier:
    return WebhookNotifier(URL, timeout=2.0, backoff=0.0)


def sent(mocked: responses.RequestsMock) -> list[dict[str, object]]:
    return [json.loads(call.request.body or b"{}") for call in mocked.calls]


def test_the_payload_is_posted_as_json_unchanged(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, body="ok")
    assert notifier().notify(NOTE) == NotificationResult(ok=True, status=200)
    assert sent(mocked) == [NOTE]
    assert mocked.calls[0].request.headers["Content-Type"] == "application/json"


def test_a_server_error_is_retried_once(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, status=503, body="busy")
    mocked.post(URL, body="ok")
    assert notifier().notify(NOTE) == NotificationResult(ok=True, status=200)
    assert len(mocked.calls) == 2


def test_a_second_server_error_is_a_failed_result_not_an_exception(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, status=500, body="oops")
    result = notifier().notify(NOTE)
    assert (result.ok, result.status) == (False, 500)
    assert result.error == "hooks.slack.example answered 500: oops"
    assert len(mocked.calls) == 2


def test_a_refusal_is_not_retried_and_says_why(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, status=400, body="invalid_payload")
    result = notifier().notify(NOTE)
    assert result == NotificationResult(False, 400, "hooks.slack.example answered 400: invalid_payload")
    assert len(mocked.calls) == 1


def test_a_timeout_is_retried_once(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    mocked.post(URL, body="ok")
    assert notifier().notify(NOTE).ok
    assert len(mocked.calls) == 2


def test_the_secret_path_is_never_in_the_result_or_the_logs(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    refused = requests.exceptions.ConnectionError(f"Max retries exceeded with url: {SECRET_PATH}")
    mocked.post(URL, body=refused)
    with caplog.at_level(logging.DEBUG):
        result = notifier().notify(NOTE)
    assert (result.ok, result.status) == (False, None)
    assert result.error == "could not reach hooks.slack.example (ConnectionError)"
    assert len(mocked.calls) == 2
    (record,) = [r for r in caplog.records if r.name == "app.sync.handover.notify"]
    assert (record.getMessage(), record.__dict__["host"]) == ("notify.failed", "hooks.slack.example")
    logged = caplog.text + " ".join(str(value) for r in caplog.records for value in r.__dict__.values())
    assert SECRET_PATH not in logged
    assert "XXXXXXXX" not in logged


def test_a_timeout_twice_names_only_the_host(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, body=requests.exceptions.ConnectTimeout(f"timed out connecting to {URL}"))
    result = notifier().notify(NOTE)
    assert result == NotificationResult(False, None, "no answer from hooks.slack.example within 2.0 s")


def test_a_url_without_scheme_is_a_failed_result_that_hides_the_path() -> None:
    result = WebhookNotifier(f"hooks.slack.example{SECRET_PATH}", timeout=1.0, backoff=0.0).notify(NOTE)
    assert result == NotificationResult(False, None, "could not reach the webhook (no host in its URL) (MissingSchema)")


def test_the_null_notifier_accepts_everything_and_sends_nothing(mocked: responses.RequestsMock) -> None:
    assert NullNotifier().notify(NOTE) == NotificationResult(ok=True)
    assert len(mocked.calls) == 0
