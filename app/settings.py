"""Settings: the only reader of the environment.

Every setting is typed and validated once, when `load_settings()` runs at start-up; the rest of Leadflow
receives the resulting `Settings` object. Secrets are `SecretStr`, so they never appear in a repr, a log line
or an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

HUBSPOT_PUBLIC_API = "https://api.hubapi.com"
# The default configuration ships inside the package (app/defaults is the repository's config/), so every command
# works from any directory; LEADFLOW_CONFIG names another directory.
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent / "defaults"
# The ledger runs on SQLite or PostgreSQL (psycopg 3), as SQLAlchemy names them in a URL's scheme.
PASSWORD_METHODS = frozenset({"pbkdf2", "scrypt"})  # werkzeug.security's hashes DASHBOARD_USERS accepts
MIN_DASHBOARD_TOKEN = 16
LEDGER_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg"})


class Environment(StrEnum):
    PRODUCTION = "production"
    DEVELOPMENT = "development"
    DEMO = "demo"


class LogFormat(StrEnum):
    JSON = "json"  # one JSON object per line: for log collectors
    TEXT = "text"  # time, level, event, key=value: for a person at a terminal


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class SettingsError(Exception):
    """The environment does not describe a runnable Leadflow; the message says what to fix."""


class Settings(BaseSettings):
    """Leadflow's settings, read from environment variables of the same name (upper case)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    leadflow_env: Environment = Environment.PRODUCTION
    # Credentials are checked field by field (not after the model), so a missing one is reported together with
    # every other invalid value.
    hubspot_access_token: SecretStr | None = Field(default=None, validate_default=True)
    hubspot_client_secret: SecretStr | None = Field(default=None, validate_default=True)
    hubspot_app_id: str | None = Field(default=None, validate_default=True)
    hubspot_api_base: AnyHttpUrl = AnyHttpUrl(HUBSPOT_PUBLIC_API)
    hubspot_rate_limit: Annotated[int, Field(gt=0, le=10_000)] = 190
    # The share of that limit Leadflow's own window admits (the rest absorbs clock skew between hosts; the portal's
    # rate-limit headers hold Leadflow back when its other apps use the budget).
    hubspot_rate_limit_margin: Annotated[float, Field(gt=0.5, le=1.0)] = 0.97
    hubspot_search_rate_limit: Annotated[int, Field(gt=0, le=100)] = 5  # search requests per second
    hubspot_timezone: str = "UTC"  # the portal's time zone: HubSpot's daily limit resets at its midnight
    hubspot_connect_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    hubspot_read_timeout: Annotated[float, Field(gt=0, le=300)] = 30.0
    # A contact write HubSpot never answered may still be applied late, over a newer write: look again this late.
    hubspot_recheck_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    database_url: str = Field(default="sqlite:///leadflow.db", repr=False)  # may carry a password
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", repr=False)
    leadflow_config: Path = DEFAULT_CONFIG_DIR
    public_url: AnyHttpUrl | None = None
    hubspot_portal_id: str | None = None
    handover_webhook_url: SecretStr | None = None  # Slack-compatible incoming webhook; its path is a secret
    hubspot_app_base: AnyHttpUrl = AnyHttpUrl("https://app.hubspot.com")
    webhook_max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 1024 * 1024
    drain_debounce_seconds: Annotated[float, Field(ge=0, le=300)] = 1.0
    # Contacts per drain, read and written 100 per HubSpot request: a bigger drain reads each company once for more
    # contacts (fewer requests in a burst), a smaller one ends sooner.
    drain_batch_size: Annotated[int, Field(ge=1, le=1000)] = 500
    reconcile_grace_seconds: Annotated[int, Field(ge=0)] = 120
    # The decay sweep marks contacts whose scores changed by time alone (decay, closing windows) this often: what
    # HubSpot shows lags the truth by at most this plus one drain.
    decay_sweep_seconds: Annotated[int, Field(ge=60, le=86_400)] = 300
    # The SLA watch (config/sla.yaml) fires reminders, escalations and reassignments and writes the SLA properties
    # this often: a step fires at most this late.
    sla_watch_seconds: Annotated[int, Field(ge=10, le=3600)] = 60
    # The touch reconciliation reads HubSpot's first-engagement dates of handovers still awaiting a first touch this
    # often (touches that came without a webhook; docs/sla.md).
    touch_reconcile_seconds: Annotated[int, Field(ge=60, le=86_400)] = 900
    # The nurture clock job (config/nurture.yaml) marks the contacts whose paced nurture step is due this often: a
    # waiting step is offered at most this plus one drain late.
    nurture_due_seconds: Annotated[int, Field(ge=60, le=86_400)] = 300
    drain_claim_lease_seconds: Annotated[float, Field(gt=0, le=86_400)] = 900.0
    # How often a `leadflow worker` heartbeats while it runs a job (RQ's job monitoring interval): RQ stops seeing a
    # killed worker this plus 60 s after its last heartbeat, and the reconciler then gives its drain's claims back.
    worker_heartbeat_seconds: Annotated[int, Field(ge=1, le=600)] = 30
    # Company properties are kept in Redis this long between drains (forgotten at once when HubSpot says the company
    # changed); 0 reads them from HubSpot in every drain.
    company_cache_seconds: Annotated[int, Field(ge=0, le=7 * 86_400)] = 3600
    signal_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90  # processed signals (raw payloads) kept
    deleted_contact_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90  # HubSpot keeps deleted records 90 days
    admin_token: SecretStr | None = None  # bearer token for /metrics and other admin endpoints
    # The dashboard's accounts, `name:hash,name:hash` (werkzeug's pbkdf2 or scrypt hashes; `leadflow dash-user`
    # makes one), and a token for wall screens. Without either, /dashboard is off (docs/dashboard.md).
    dashboard_users: SecretStr | None = None
    dashboard_token: SecretStr | None = None
    dashboard_sla_refresh_seconds: Annotated[int, Field(ge=1, le=3600)] = 30  # the SLA panel reloads this often
    queue_name: str = "leadflow"
    redis_prefix: str = "leadflow"
    log_level: LogLevel = LogLevel.INFO
    # None: each process chooses (JSON for web, worker and clock; text for the commands a person runs).
    log_format: LogFormat | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("dashboard_users")
    @classmethod
    def _dashboard_accounts(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            dashboard_accounts(value.get_secret_value())  # raises ValueError naming the entry's problem
        return value

    @field_validator("dashboard_token")
    @classmethod
    def _long_enough_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and 0 < len(value.get_secret_value()) < MIN_DASHBOARD_TOKEN:
            raise ValueError(f"must be at least {MIN_DASHBOARD_TOKEN} characters long (a random token)")
        return value

    @field_validator("hubspot_access_token", "hubspot_client_secret", "hubspot_app_id")
    @classmethod
    def _required_in_production(cls, value: SecretStr | str | None, info: ValidationInfo) -> SecretStr | str | None:
        environment = info.data.get("leadflow_env", Environment.PRODUCTION)
        if environment is Environment.PRODUCTION and not _present(value):
            raise ValueError(
                "must be set in production (set LEADFLOW_ENV=development to run without HubSpot credentials)"
            )
        return value

    @field_validator("hubspot_app_id")
    @classmethod
    def _app_id_is_a_number(cls, value: str | None) -> str | None:
        if not value:
            return value
        if not (value.isascii() and value.isdigit() and int(value) > 0):
            raise ValueError(f"must be the private app's id, a positive whole number (not {value!r})")
        return value

    @field_validator("hubspot_timezone")
    @classmethod
    def _a_real_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"must be an IANA time zone such as Europe/Berlin (not {value!r})") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _a_ledger_url(cls, value: str) -> str:
        # Never quote the value in the message: it may carry a password.
        if _ledger_driver(value) not in LEDGER_DRIVERS:
            raise ValueError(
                "must be a ledger database URL such as sqlite:///leadflow.db or postgresql://USER@HOST:5432/DB"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _a_redis_url(cls, value: str) -> str:
        from redis.connection import parse_url

        try:
            parse_url(value)  # type: ignore[no-untyped-call]  # what Redis.from_url parses with
        except ValueError:
            raise ValueError("must be a Redis URL such as redis://HOST:6379/0 (rediss:// and unix:// too)") from None
        return value

    @property
    def api_base(self) -> str:
        """Return the HubSpot API base URL without a trailing slash."""
        return str(self.hubspot_api_base).rstrip("/")

    def redis_url_if_set(self) -> str | None:
        """Return REDIS_URL when the environment sets it, None when it is left to its default (the demo's choice)."""
        return self.redis_url if "redis_url" in self.model_fields_set else None

    def database_url_if_set(self) -> str | None:
        """Return DATABASE_URL when the environment sets it, None when it is left to its default (the demo's choice)."""
        return self.database_url if "database_url" in self.model_fields_set else None

    def log_format_or(self, default: LogFormat) -> LogFormat:
        """Return LOG_FORMAT when set, else the process's own default."""
        return self.log_format or default

    def dashboard_logins(self) -> dict[str, str]:
        """Return the dashboard's accounts, name → password hash (empty when DASHBOARD_USERS is not set)."""
        return dashboard_accounts(self.dashboard_users.get_secret_value()) if self.dashboard_users else {}

    def dashboard_token_value(self) -> str | None:
        """Return DASHBOARD_TOKEN, or None when it is not set or empty."""
        return (self.dashboard_token.get_secret_value() or None) if self.dashboard_token else None

    def access_token(self) -> str:
        """Return the HubSpot access token, or fail with a clear message when it is not set."""
        if self.hubspot_access_token is None:
            raise SettingsError("HUBSPOT_ACCESS_TOKEN is not set: Leadflow cannot call HubSpot without it.")
        return self.hubspot_access_token.get_secret_value()


class ConfigLocation(BaseSettings):
    """Only where the configuration is (LEADFLOW_CONFIG): for commands that need no other setting."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    leadflow_config: Path = DEFAULT_CONFIG_DIR


class AppLocation(ConfigLocation):
    """What `leadflow app build` reads: the configuration and PUBLIC_URL (no secret: the app comes before them)."""

    public_url: AnyHttpUrl | None = None


def app_location() -> AppLocation:
    """Return LEADFLOW_CONFIG and PUBLIC_URL from the environment, or raise `SettingsError`."""
    try:
        return AppLocation()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def config_directory() -> Path:
    """Return the configuration directory: LEADFLOW_CONFIG, else the configuration shipped with Leadflow."""
    return ConfigLocation().leadflow_config


def dashboard_accounts(text: str) -> dict[str, str]:
    """Return DASHBOARD_USERS (`name:hash,…`) as name → hash, or raise ValueError saying which entry is wrong."""
    accounts: dict[str, str] = {}
    for number, entry in enumerate((part.strip() for part in text.split(",")), start=1):
        if not entry:
            continue
        name, colon, password_hash = entry.partition(":")
        method = password_hash.split("$", 1)[0].split(":", 1)[0]
        if not colon or not name.strip() or password_hash.count("$") != 2 or method not in PASSWORD_METHODS:
            raise ValueError(
                f"entry {number} ({name.strip() or 'no name'!r}) must be NAME:HASH with a werkzeug pbkdf2 or scrypt "
                "hash (make one with `leadflow dash-user NAME`)"
            )
        if name.strip() in accounts:
            raise ValueError(f"entry {number} names {name.strip()!r} a second time")
        accounts[name.strip()] = password_hash
    return accounts


def _ledger_driver(url: str) -> str | None:
    """Return the SQLAlchemy driver name of `url` (`postgresql`, `sqlite`, …), or None when it does not parse."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).drivername
    except (ArgumentError, ValueError):  # a port that is no number raises ValueError
        return None


def _present(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read and validate the settings from the environment (and `overrides`), or raise `SettingsError`."""
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    """Return one sentence per problem; variables with the same problem are named together."""
    by_problem: dict[str, list[str]] = {}
    for error in exc.errors():
        location = ".".join(str(part).upper() for part in error["loc"])
        by_problem.setdefault(str(error["msg"]).removeprefix("Value error, "), []).append(location)
    problems = [f"{', '.join(filter(None, names))}: {problem}" for problem, names in by_problem.items()]
    return "Invalid settings: " + "; ".join(problems)
