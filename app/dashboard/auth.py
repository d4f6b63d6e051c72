"""Who may see the dashboard: the accounts of DASHBOARD_USERS over HTTP Basic, or DASHBOARD_TOKEN (a bearer header
or `?token=` for wall screens). Every comparison is constant-time; an unknown name costs a hash check too.

A password hash (pbkdf2, scrypt) costs tens of milliseconds by design, and HTTP Basic sends the password with
every request: a verified name and password are remembered as a keyed digest (HMAC with a random per-process key),
so the hash is checked once per process and the page stays fast. A wrong password is never remembered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping
from enum import Enum

from flask import Request
from werkzeug.security import check_password_hash, generate_password_hash

REMEMBERED_MAX = 1024


class Verdict(Enum):
    ALLOWED = "allowed"
    MISSING = "missing"  # no credentials sent
    WRONG = "wrong"  # credentials sent, and refused


class DashboardAuth:
    """Checks a request's credentials against the configured accounts and token."""

    def __init__(self, accounts: Mapping[str, str], token: str | None) -> None:
        self._accounts = dict(accounts)
        self._token = token
        self._key = secrets.token_bytes(32)
        self._remembered: set[bytes] = set()
        self._lock = threading.Lock()
        # An unknown name is checked against this, so its answer takes as long as a known name's.
        self._decoy = generate_password_hash(secrets.token_hex(16)) if accounts else ""

    @property
    def enabled(self) -> bool:
        """Return whether any way in is configured (else the dashboard is off)."""
        return bool(self._accounts or self._token)

    def verdict(self, request: Request) -> Verdict:
        """Return whether the request may see the dashboard."""
        given = self._given_token(request)
        if given is not None:
            return Verdict.ALLOWED if self._token_matches(given) else Verdict.WRONG
        basic = request.authorization
        if basic is None or basic.type != "basic" or basic.username is None:
            return Verdict.MISSING
        return Verdict.ALLOWED if self.password_matches(basic.username, basic.password or "") else Verdict.WRONG

    def token_in_query(self, request: Request) -> str | None:
        """Return the valid token the request carried in its query (the page's links carry it on), else None."""
        given = request.args.get("token")
        return given if given is not None and self._token_matches(given) else None

    def password_matches(self, name: str, password: str) -> bool:
        """Return whether `password` is the account's (constant-time over names; remembered once verified)."""
        digest = hmac.new(self._key, f"{name}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if any(hmac.compare_digest(digest, known) for known in self._remembered):
                return True
        password_hash = self._decoy
        for account, stored in self._accounts.items():
            if hmac.compare_digest(account.encode(), name.encode()):
                password_hash = stored
        matches = bool(password_hash) and check_password_hash(password_hash, password)
        if matches and password_hash is not self._decoy:
            with self._lock:
                if len(self._remembered) >= REMEMBERED_MAX:
                    self._remembered.clear()
                self._remembered.add(digest)
            return True
        return False

    def _given_token(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        return request.args.get("token")

    def _token_matches(self, given: str) -> bool:
        return self._token is not None and hmac.compare_digest(given.encode(), self._token.encode())
