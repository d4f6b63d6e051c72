"""`leadflow model publish` and `leadflow model history`, run as a user runs them (subprocesses) on both ledgers:
publishing records a version once, publishing it again does nothing, a changed model under the same name is refused
with one line and status 2, a file the service does not load is refused, an invalid one names its file and problem;
the history lists the versions newest first with the KPIs of the lead cycles that became MQLs under each; the KPI
breakdown by model shows when each was published; publishing starts the re-score of the portal (the twin)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from app.ledger.database import create_ledger_engine
from app.ledger.store import Ledger
from app.rules.kpis import LeadCycle
from app.sync.rescore import RescoreRuns
from tests.conftest import CLI_REDIS_URL
from tests.e2e.test_cli import ACCESS_TOKEN, LEADFLOW, ROOT, Portal, base_env, portal, redis_db  # noqa: F401  (the fixtures: the twin as a process, the CLI's Redis)
from tests.e2e.test_cli_errors import the_error_line
from tests.support.processes import describe, run_command

FIRST, SECOND, NEVER = "default-2026-12", "default-2027-01", "default-2026-11"
MINUTE = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cycle(contact: str, model: str, mql: str, **reached: str) -> LeadCycle:
    """A lead cycle that became an MQL at `mql` under `model`, with the other times it reached."""
    times = {name: at(value) for name, value in reached.items()}
    return LeadCycle(contact=contact, cycle=1, created_at=at("2026-10-01T08:00"), mql_at=at(mql), model_at_mql=model,
                     grade_at_mql="A1", **times)  # fmt: skip


# Under FIRST: 4 MQLs, 2 SQLs, 3 handed over, 1 accepted, 1 won. Under SECOND: 2 MQLs, 1 SQL, 1 handed over and
# accepted, none won. Under NEVER (scored before publishing was recorded): 1 MQL.
CYCLES = [
    cycle("11", FIRST, "2026-11-02T09:00", sql_at="2026-11-03T09:00",
          handed_over_at="2026-11-03T09:05", accepted_at="2026-11-04T10:00", deal_created_at="2026-11-04T10:00",
          won_at="2026-11-20T10:00"),
    cycle("12", FIRST, "2026-11-05T09:00", sql_at="2026-11-06T09:00", handed_over_at="2026-11-06T09:05",
          rejected_at="2026-11-07T09:00"),
    cycle("13", FIRST, "2026-11-08T09:00", handed_over_at="2026-11-08T09:05"),
    cycle("14", FIRST, "2026-11-09T09:00"),
    cycle("15", SECOND, "2026-11-20T09:00", sql_at="2026-11-21T09:00", handed_over_at="2026-11-21T09:05",
          accepted_at="2026-11-22T09:00"),
    cycle("16", SECOND, "2026-11-23T09:00"),
    cycle("17", NEVER, "2026-10-20T09:00"),
]  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the shipped configuration, for the service of these tests to load (and the tests to edit)."""
    directory = tmp_path / "config"
    shutil.copytree(ROOT / "config", directory)
    return directory


@pytest.fixture
def env(ledger_url: str, tmp_path: Path, config: Path) -> dict[str, str]:
    """The commands' environment, on a ledger holding CYCLES (recorded as backfilled cycles of contacts Leadflow
    never assessed: the KPI facts read them as they are)."""
    ledger = Ledger(create_ledger_engine(ledger_url))
    try:
        ledger.kpis.record_backfill(CYCLES, at("2026-12-01T00:00"))
    finally:
        ledger.engine.dispose()
    tag = uuid.uuid4().hex[:12]
    return {
        **base_env(tmp_path / "home"),
        "LEADFLOW_ENV": "development",
        "DATABASE_URL": ledger_url,
        "REDIS_URL": CLI_REDIS_URL,
        "LEADFLOW_CONFIG": str(config),
        "QUEUE_NAME": f"leadflow-models-{tag}",
        "REDIS_PREFIX": f"leadflow-models-{tag}",
    }


def leadflow(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_command([LEADFLOW, *args], env, tmp_path, timeout=60)


def ok(env: dict[str, str], tmp_path: Path, *args: str) -> list[str]:
    result = leadflow(env, tmp_path, *args)
    assert result.returncode == 0, describe(result)
    return result.stdout.splitlines()


def published(env: dict[str, str]) -> list[tuple[str, str | None]]:
    ledger = Ledger(create_ledger_engine(env["DATABASE_URL"]))
    try:
        return [(found.version, found.rescore_run) for found in ledger.models.published()]
    finally:
        ledger.engine.dispose()


def bump(config: Path, version: str, points: str = "30") -> str:
    """Rename the configured model to `version` and reweigh its first fit rule; return the new text."""
    path = config / "scoring.yaml"
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"^model: \S+", f"model: {version}", text, count=1, flags=re.M)
    changed = changed.replace("      points: 25\n", f"      points: {points}\n", 1)
    path.write_text(changed, encoding="utf-8")
    return changed


def test_publishing_records_a_version_once_and_refuses_a_change_under_the_same_name(
    env: dict[str, str], tmp_path: Path, config: Path
) -> None:
    model = str(config / "scoring.yaml")
    lines = ok(env, tmp_path, "model", "publish", model, "--no-rescore")
    length = len((config / "scoring.yaml").read_text(encoding="utf-8").splitlines())
    assert lines == [
        f"published model '{FIRST}': the first version recorded ({length} lines)",
        "no re-score started (--no-rescore): run `leadflow rescore --all` to apply it to every contact",
    ]
    assert published(env) == [(FIRST, None)]

    again = ok(env, tmp_path, "model", "publish", model, "--no-rescore")
    assert len(again) == 1, again
    assert re.fullmatch(rf"model '{FIRST}' is already published \({MINUTE}\): nothing to do", again[0]), again

    bump(config, FIRST)  # reweighed, not renamed
    refused = leadflow(env, tmp_path, "model", "publish", model, "--no-rescore")
    line = the_error_line(refused)
    assert refused.returncode == 2, describe(refused)
    assert re.fullmatch(
        rf"Error: {re.escape(model)}: model '{FIRST}' is already published with other content \(published "
        r"[0-9a-f]{12}, this file [0-9a-f]{12}; first difference: line \d+ 'points: 25' → 'points: 30'\): "
        r"bump `model` to publish a change",
        line,
    ), line
    assert published(env) == [(FIRST, None)]

    bump(config, SECOND)
    assert ok(env, tmp_path, "model", "publish", model, "--dry-run", "--no-rescore") == [
        f"would publish model '{SECOND}' (+2 -2 lines); --dry-run: nothing recorded"
    ]
    assert published(env) == [(FIRST, None)]
    assert ok(env, tmp_path, "model", "publish", model, "--no-rescore")[:5] == [
        f"published model '{SECOND}' (+2 -2 lines against the version before)",
        f"  -model: {FIRST}            # required; stamped on every score written to HubSpot",
        f"  +model: {SECOND}            # required; stamped on every score written to HubSpot",
        "  -      points: 25",
        "  +      points: 30",
    ]
    assert published(env) == [(FIRST, None), (SECOND, None)]


def test_a_file_the_service_does_not_load_or_an_invalid_one_is_refused_in_one_line(
    env: dict[str, str], tmp_path: Path, config: Path
) -> None:
    elsewhere = tmp_path / "candidate.yaml"
    elsewhere.write_text(bump(config, SECOND), encoding="utf-8")
    (config / "scoring.yaml").write_text((ROOT / "config" / "scoring.yaml").read_text(encoding="utf-8"))
    refused = leadflow(env, tmp_path, "model", "publish", str(elsewhere), "--no-rescore")
    assert refused.returncode == 2, describe(refused)
    assert the_error_line(refused) == (
        f"Error: {elsewhere} is not the model the service loads ({config / 'scoring.yaml'}, from LEADFLOW_CONFIG, "
        "has other content): the workers would not score with it, so publishing it would be a lie; put it there and "
        "publish that"
    )
    same = tmp_path / "same.yaml"
    shutil.copyfile(config / "scoring.yaml", same)  # the same content elsewhere is the model the service loads
    assert ok(env, tmp_path, "model", "publish", str(same), "--no-rescore")[0].startswith(f"published model '{FIRST}'")

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("model: broken\nfit: 3\n", encoding="utf-8")
    failed = leadflow(env, tmp_path, "model", "publish", str(invalid))
    assert failed.returncode == 2, describe(failed)
    assert the_error_line(failed) == f"Error: {invalid}: 'fit' should be a mapping, got 3"
    assert published(env) == [(FIRST, None)]


def test_history_lists_versions_newest_first_with_the_kpis_under_each(
    env: dict[str, str], tmp_path: Path, config: Path
) -> None:
    assert ok(env, tmp_path, "model", "history") == [
        "no model version published yet (`leadflow model publish config/scoring.yaml`)",
        f"{NEVER}  never published (scores written before publishing was recorded)",
        "  MQLs 1  MQL→SQL 0.0 % (n=1)  acceptance – (n=0)  won 0 (0.0 % (n=1))",
        f"{FIRST}  never published (scores written before publishing was recorded)",
        "  MQLs 4  MQL→SQL 50.0 % (n=4)  acceptance 33.3 % (n=3)  won 1 (25.0 % (n=4))",
        f"{SECOND}  never published (scores written before publishing was recorded)",
        "  MQLs 2  MQL→SQL 50.0 % (n=2)  acceptance 100.0 % (n=1)  won 0 (0.0 % (n=2))",
    ]
    model = str(config / "scoring.yaml")
    ok(env, tmp_path, "model", "publish", model, "--no-rescore")
    bump(config, SECOND)
    ok(env, tmp_path, "model", "publish", model, "--no-rescore")

    lines = ok(env, tmp_path, "model", "history", "--as-of", "2026-12-10")
    source = re.escape(str((config / "scoring.yaml").resolve()))
    assert re.fullmatch(rf"{SECOND}  published {MINUTE} from {source}  \+2 -2 lines  no re-score recorded", lines[0])
    assert lines[1] == "  MQLs 2  MQL→SQL 50.0 % (n=2)  acceptance 100.0 % (n=1)  won 0 (0.0 % (n=2))"
    assert re.fullmatch(rf"{FIRST}  published {MINUTE} from {source}  \+\d+ -0 lines  no re-score recorded", lines[2])
    assert lines[3] == "  MQLs 4  MQL→SQL 50.0 % (n=4)  acceptance 33.3 % (n=3)  won 1 (25.0 % (n=4))"
    assert lines[4:] == [
        f"{NEVER}  never published (scores written before publishing was recorded)",
        "  MQLs 1  MQL→SQL 0.0 % (n=1)  acceptance – (n=0)  won 0 (0.0 % (n=1))",
    ]
    before = ok(env, tmp_path, "model", "history", "--as-of", "2026-11-20T09:30")  # 11 not won yet, 15 not SQL
    assert before[1] == "  MQLs 1  MQL→SQL 0.0 % (n=1)  acceptance – (n=0)  won 0 (0.0 % (n=1))"
    assert before[3] == "  MQLs 4  MQL→SQL 50.0 % (n=4)  acceptance 33.3 % (n=3)  won 0 (0.0 % (n=4))"

    document = json.loads("\n".join(ok(env, tmp_path, "model", "history", "--json", "--as-of", "2026-12-10")))
    assert [found["version"] for found in document["versions"]] == [SECOND, FIRST]
    assert document["versions"][0]["kpis"] == {
        "mqls": 2, "sqls": 1, "accepted": 1, "won": 0, "mql_to_sql": 0.5, "sales_acceptance": 1.0, "closed_won": 0.0
    }  # fmt: skip
    assert document["versions"][1]["kpis"]["sales_acceptance"] == 0.3333
    assert document["versions"][0]["diff"] == {"added": 2, "removed": 2}
    assert document["unpublished"] == {
        NEVER: {"mqls": 1, "sqls": 0, "accepted": 0, "won": 0, "mql_to_sql": 0.0, "sales_acceptance": None,
                "closed_won": 0.0}
    }  # fmt: skip

    window = ("--from", "2026-10-01", "--to", "2026-12-01", "--as-of", "2026-12-10")
    table = ok(env, tmp_path, "kpis", *window, "--breakdown", "model")
    dated = [line for line in table if re.match(r"  default-\d{4}-\d\d: ", line)]
    assert [line.split(":")[0].strip() for line in dated] == [NEVER, FIRST, SECOND]  # the breakdown's order
    assert dated[0] == f"  {NEVER}: no publishing recorded"
    assert re.fullmatch(rf"  {FIRST}: published \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ", dated[1]), dated
    kpis = json.loads("\n".join(ok(env, tmp_path, "kpis", *window, "--breakdown", "model", "--json")))
    assert sorted(kpis["model_versions"]) == [NEVER, FIRST, SECOND]
    assert kpis["model_versions"][NEVER] is None
    assert kpis["breakdowns"]["model"][FIRST]["funnel"]["mqls"] == 4


def test_publishing_starts_the_rescore_of_the_portal_and_notes_its_run(
    portal: Portal,  # noqa: F811
    redis_db: redis.Redis,  # noqa: F811
    env: dict[str, str],
    tmp_path: Path,
    config: Path,
) -> None:
    settings = {"HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN, "HUBSPOT_API_BASE": portal.url}
    hubspot = {**env, **settings, "HUBSPOT_CLIENT_SECRET": "models-e2e-client-secret-0123456", "HUBSPOT_APP_ID": "4242"}
    lines = ok(hubspot, tmp_path, "model", "publish", str(config / "scoring.yaml"))
    match = re.fullmatch(r"re-score (\w{12}) started: the workers re-score the portal in the background", lines[-1])
    assert match, lines
    run = match.group(1)
    assert published(env) == [(FIRST, run)]
    progress = RescoreRuns(redis_db, env["REDIS_PREFIX"]).progress(run)
    assert progress.started_at > 0 and progress.contacts_total == 0  # the twin's portal is empty
    assert redis_db.llen(f"rq:queue:{env['QUEUE_NAME']}") == 1  # the run's first job waits for the workers

    bump(config, SECOND)
    unreachable = {**hubspot, "HUBSPOT_API_BASE": "http://127.0.0.1:9"}
    failed = leadflow(unreachable, tmp_path, "model", "publish", str(config / "scoring.yaml"))
    assert failed.returncode == 1, describe(failed)
    assert the_error_line(failed).startswith(
        f"Error: model '{SECOND}' is published, but the re-score could not start ("
    ), describe(failed)
    assert the_error_line(failed).endswith("): run `leadflow rescore --all`")
    assert published(env) == [(FIRST, run), (SECOND, None)]
