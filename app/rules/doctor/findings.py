"""What `leadflow doctor` found: one `Finding` per thing checked, each saying what to do about it.

A finding is `ok`, `warn` (works, but something should be looked at, or cannot be read) or `fail` (Leadflow does
not work as configured until it is fixed). The report is healthy when nothing failed; its exit status is 1 then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]
MARKS: dict[Status, str] = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@dataclass(frozen=True)
class Finding:
    """One result of a check: what was found and, unless it is ok, what to do about it."""

    check: str  # the group it belongs to: token, scopes, properties, owners, …
    status: Status
    what: str
    what_to_do: str = ""


def ok(check: str, what: str) -> Finding:
    return Finding(check, "ok", what)


def warn(check: str, what: str, what_to_do: str) -> Finding:
    return Finding(check, "warn", what, what_to_do)


def fail(check: str, what: str, what_to_do: str) -> Finding:
    return Finding(check, "fail", what, what_to_do)


@dataclass(frozen=True)
class DoctorReport:
    """Every finding, in the order the checks ran."""

    findings: tuple[Finding, ...]

    @property
    def healthy(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.status == "fail")

    @property
    def exit_status(self) -> int:
        return 0 if self.healthy else 1

    def counts(self) -> dict[Status, int]:
        statuses: tuple[Status, ...] = ("ok", "warn", "fail")
        return {status: sum(f.status == status for f in self.findings) for status in statuses}

    def lines(self) -> list[str]:
        """Return the report as text: the findings grouped by check, then one summary line."""
        out: list[str] = []
        for check in _checks_in_order(self.findings):
            out.append(check)
            for finding in (f for f in self.findings if f.check == check):
                out.append(f"  {MARKS[finding.status]} {finding.what}")
                if finding.what_to_do:
                    out.append(f"       → {finding.what_to_do}")
        counts = self.counts()
        verdict = "healthy" if self.healthy else "NOT healthy"
        out.append(f"{verdict}: {counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failures")
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "counts": self.counts(),
            "findings": [asdict(finding) for finding in self.findings],
        }


def _checks_in_order(findings: Sequence[Finding]) -> list[str]:
    return list(dict.fromkeys(finding.check for finding in findings))
