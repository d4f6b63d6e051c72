"""A second implementation of docs/kpis.md, written from the contract's words alone and as plainly as possible, and
the property that Leadflow's report (app/rules/kpis) prints the same JSON for any facts: adversarial ones with
nulls, fields out of order, recycled cycles, times on the window's edges and a microsecond beside them, offsets,
skewed and negative durations — with and without `--by week|month`. "Another implementation will be compared
with yours digit by digit": this is that comparison, run on thousands of random portals."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rules.kpis import kpi_report, parse_facts

TIME_KEYS = ("created_at", "qualified_signal_at", "mql_at", "sql_at", "handed_over_at", "due_at", "first_touch_at",
             "accepted_at", "rejected_at", "deal_created_at", "won_at", "lost_at")  # fmt: skip
FROM, TO = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 14, 12, tzinfo=UTC)
AS_OF = datetime(2026, 12, 10, tzinfo=UTC)


# --- the reference: docs/kpis.md, sentence by sentence --------------------------------------------------------------


def ref_rate(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    x = Fraction(part, whole)
    return float(Fraction(math.floor(x * 10000 + Fraction(1, 2)), 10000))


def ref_window(facts: list[dict[str, Any]], start: datetime, end: datetime, as_of: datetime) -> dict[str, Any]:
    def reached(f: dict[str, Any], key: str) -> bool:
        return f.get(key) is not None and f[key] <= as_of

    cohort = [f for f in facts if reached(f, "mql_at") and start <= f["mql_at"] < end]
    leads = [f for f in facts if reached(f, "created_at") and start <= f["created_at"] < end]

    def count(key: str) -> int:
        return sum(1 for f in cohort if reached(f, key))

    funnel = {
        "leads": len(leads), "leads_qualified": sum(1 for f in leads if reached(f, "mql_at")), "mqls": len(cohort),
        "sqls": count("sql_at"), "handed_over": count("handed_over_at"), "worked": count("first_touch_at"),
        "accepted": count("accepted_at"), "rejected": count("rejected_at"), "deals": count("deal_created_at"),
        "won": count("won_at"), "lost": count("lost_at"),
    }  # fmt: skip
    decided = [f for f in cohort if reached(f, "handed_over_at") and f.get("due_at") is not None
               and (reached(f, "first_touch_at") or f["due_at"] <= as_of)]  # fmt: skip
    met = [f for f in decided if reached(f, "first_touch_at") and f["first_touch_at"] <= f["due_at"]]
    rates = {
        "lead_to_mql": ref_rate(funnel["leads_qualified"], funnel["leads"]),
        "mql_to_sql": ref_rate(funnel["sqls"], funnel["mqls"]),
        "sales_acceptance": ref_rate(funnel["accepted"], funnel["handed_over"]),
        "worked": ref_rate(funnel["worked"], funnel["handed_over"]),
        "closed_won": ref_rate(funnel["won"], funnel["mqls"]),
        "win": ref_rate(funnel["won"], funnel["won"] + funnel["lost"]),
        "sla_met": ref_rate(len(met), len(decided)),
    }

    def times(a: str, b: str) -> dict[str, Any]:
        values = []
        for f in cohort:
            if reached(f, a) and reached(f, b):
                delta = f[b] - f[a]
                exact = Fraction(delta.days * 86400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)
                if exact >= 0:
                    values.append(math.floor(exact + Fraction(1, 2)))
        values.sort()
        n = len(values)
        pick = {x: (values[math.ceil(Fraction(x * n, 100)) - 1] if n else None) for x in (50, 90, 95)}
        return {"count": n, "p50": pick[50], "p90": pick[90], "p95": pick[95]}

    return {
        "funnel": funnel,
        "rates": rates,
        "times": {
            "time_to_lead": times("qualified_signal_at", "handed_over_at"),
            "time_to_response": times("handed_over_at", "first_touch_at"),
            "time_to_touch": times("qualified_signal_at", "first_touch_at"),
        },
        "cohort": cohort,
        "reached": reached,
    }


def ref_report(facts: list[dict[str, Any]], start: datetime, end: datetime, as_of: datetime, by: str | None) -> dict:
    w = ref_window(facts, start, end, as_of)
    cohort, reached = w["cohort"], w["reached"]
    steps = [("mql", None), ("sql", "sql_at"), ("accepted", "accepted_at"), ("deal", "deal_created_at"),
             ("won", "won_at")]  # fmt: skip
    conversion = []
    for (a, ka), (b, kb) in itertools.pairwise(steps):
        entered = [f for f in cohort if ka is None or reached(f, ka)]
        converted = [f for f in entered if reached(f, kb)]
        conversion.append({"from": a, "to": b, "entered": len(entered), "converted": len(converted),
                           "rate": ref_rate(len(converted), len(entered))})  # fmt: skip
    grades: dict[str, list[dict[str, Any]]] = {}
    for f in cohort:
        grades.setdefault(f.get("grade_at_mql") or "none", []).append(f)
    by_grade = {}
    for grade in sorted(grades):
        members = grades[grade]
        accepted = sum(1 for f in members if reached(f, "accepted_at"))
        won = sum(1 for f in members if reached(f, "won_at"))
        handed = sum(1 for f in members if reached(f, "handed_over_at"))
        by_grade[grade] = {
            "mqls": len(members), "accepted": accepted, "won": won,
            "sales_acceptance": ref_rate(accepted, handed), "closed_won": ref_rate(won, len(members)),
        }  # fmt: skip
    reasons = Counter(f.get("rejection_reason") or "none" for f in cohort if reached(f, "rejected_at"))

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    report: dict[str, Any] = {
        "from": stamp(start), "to": stamp(end), "as_of": stamp(as_of), "funnel": w["funnel"], "rates": w["rates"],
        "conversion": conversion, "times": w["times"], "by_grade": by_grade, "rejection_reasons": dict(reasons),
    }  # fmt: skip
    if by is not None:
        cuts = [start]
        moment = start
        while True:
            if by == "week":
                day = (moment + timedelta(days=7 - moment.weekday())).date()
            else:
                day = (moment.replace(day=28) + timedelta(days=4)).replace(day=1).date()
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if moment >= end:
                break
            cuts.append(moment)
        cuts.append(end)
        report["periods"] = []
        for a, b in itertools.pairwise(cuts):
            p = ref_window(facts, a, b, as_of)
            report["periods"].append({"from": stamp(a), "to": stamp(b), "funnel": p["funnel"], "rates": p["rates"],
                                      "times": p["times"]})  # fmt: skip
    return report


# --- random, adversarial portals ----------------------------------------------------------------------------------

EDGES = [FROM, TO, AS_OF]
OFFSETS = [
    UTC,
    timezone(timedelta(hours=1)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    if draw(st.booleans()):
        edge = draw(st.sampled_from(EDGES))
        moment = edge + timedelta(microseconds=draw(st.sampled_from([-1, 0, 1, 500_000, -500_000])))
    else:
        moment = FROM + timedelta(seconds=draw(st.integers(-20 * 86400, 60 * 86400)),
                                  microseconds=draw(st.sampled_from([0, 0, 499_999, 500_000, 500_001])))  # fmt: skip
    return moment.astimezone(draw(st.sampled_from(OFFSETS)))


@st.composite
def facts_lines(draw: st.DrawFn) -> list[str]:
    lines = []
    for number in range(draw(st.integers(0, 40))):
        fact: dict[str, Any] = {"contact": str(number // 2), "cycle": number % 2 + 1}
        for key in TIME_KEYS:
            if draw(st.integers(0, 2)):
                fact[key] = draw(instants()).isoformat()
        if draw(st.booleans()):
            fact["grade_at_mql"] = draw(st.sampled_from(["A1", "B2", "C3"]))
        if draw(st.booleans()):
            fact["rejection_reason"] = draw(st.sampled_from(["bad timing", "no budget"]))
        lines.append(json.dumps(fact))
    return lines


def as_reference_fact(line: str) -> dict[str, Any]:
    raw = json.loads(line)
    return {key: (datetime.fromisoformat(value).astimezone(UTC) if key in TIME_KEYS and value else value)
            for key, value in raw.items()}  # fmt: skip


WINDOWS = [
    (FROM, TO),  # weeks and a month boundary inside, as of a time inside
    (FROM, FROM + timedelta(days=3)),  # no boundary inside: one period
    (datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC)),  # ends after as of, over a year
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=facts_lines(), by=st.sampled_from([None, "week", "month"]), window=st.sampled_from(WINDOWS))
def test_leadflows_report_equals_the_reference_on_any_facts(
    lines: list[str], by: str | None, window: tuple[datetime, datetime]
) -> None:
    facts = parse_facts("\n".join(lines))
    ours = kpi_report(facts, window[0], window[1], AS_OF, by)  # type: ignore[arg-type]
    theirs = ref_report([as_reference_fact(line) for line in lines], window[0], window[1], AS_OF, by)
    assert json.loads(json.dumps(ours)) == json.loads(json.dumps(theirs))
