"""Retrying HubSpot calls: `Retry-After` on 429, jittered exponential backoff on 5xx and timeouts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_before_delay
from tenacity.wait import wait_exponential_jitter

from app.sync.hubspot.errors import HubSpotError, RateLimited, TransientHubSpotError, classify

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    max_seconds: float = 120.0
    initial_backoff: float = 0.5
    max_backoff: float = 15.0


def call_hubspot(operation: str, request: Callable[[], T], policy: RetryPolicy) -> T:
    """Run `request`, retrying what is worth retrying; raise a `HubSpotError` when HubSpot says no."""
    backoff = wait_exponential_jitter(
        multiplier=policy.initial_backoff, max=policy.max_backoff, jitter=policy.initial_backoff
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return error.retry_after if isinstance(error, RateLimited) else backoff(state)

    retrying = Retrying(
        retry=retry_if_exception(_worth_retrying),
        wait=wait,
        # stop_before_delay: a wait (e.g. a long Retry-After) that would overrun the budget is not started
        stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.max_seconds),
        before_sleep=_log_retry(operation, policy),
        reraise=True,
    )
    result: T = retrying(_translated, operation, request)
    return result


def _translated(operation: str, request: Callable[[], T]) -> T:
    try:
        return request()
    except HubSpotError:
        raise
    except Exception as exc:
        error = classify(exc, operation)
        if error is None:
            raise
        raise error from exc


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, RateLimited):
        return not exc.daily  # a spent daily budget only comes back at midnight
    return isinstance(exc, TransientHubSpotError)


def _log_retry(operation: str, policy: RetryPolicy) -> Callable[[RetryCallState], None]:
    """Log each retry with what failed, the operation retried and how long it waits before the next attempt."""

    def log(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait_seconds = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "hubspot.retry",
            extra={
                "operation": operation,
                "attempt": state.attempt_number,
                "attempts": policy.attempts,
                "wait_seconds": round(wait_seconds, 1),
                "error": str(error).removeprefix(f"{operation}: "),
            },
        )

    return log
