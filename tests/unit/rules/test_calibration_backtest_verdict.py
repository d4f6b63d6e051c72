"""The backtest's verdict (docs/calibration.md, Backtest, "Verdict"): better, worse or can't tell, per outcome and
overall, the same from a report and from its JSON object as recorded; and the recorded document's bounded lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.rules.calibration.backtest import BacktestReport, BacktestWindow, ModelFigures, OutcomeCounts, StageMove
from app.rules.calibration.backtest_document import backtest_document
from app.rules.calibration.backtest_runs import bounded_document
from app.rules.calibration.backtest_verdict import BacktestVerdict, OutcomeComparison, document_verdict, report_verdict
from app.rules.kpis.figures import Ratio

END = datetime(2026, 12, 1, tzinfo=UTC)


def compared(known: int, current: tuple[int, int], candidate: tuple[int, int]) -> OutcomeComparison:
    return OutcomeComparison("won", known, Ratio(*current), Ratio(*candidate))


@pytest.mark.parametrize(
    ("known", "current", "candidate", "judgement"),
    [
        (20, (18, 40), (4, 10), "worse"),  # captures 4 of 20 against 18: interval 8–42 % lies below 90 %
        (20, (4, 10), (18, 40), "better"),  # captures 18 of 20 against 4
        (20, (10, 20), (11, 21), "can't tell"),  # no clear difference
        (20, (10, 40), (18, 20), "better"),  # more captured, and a better rate
        (40, (20, 40), (36, 200), "can't tell"),  # captures more (36 against 20) at a far lower rate: a trade
        (9, (9, 10), (0, 0), "can't tell"),  # too few known positives in reality
        (20, (18, 40), (0, 0), "worse"),  # qualifies none of reality's buyers
    ],
)
def test_an_outcome_is_judged_by_its_capture_and_its_rate(
    known: int, current: tuple[int, int], candidate: tuple[int, int], judgement: str
) -> None:
    assert compared(known, current, candidate).judgement == judgement


def test_the_lines_say_the_verdict_and_each_outcomes_figures() -> None:
    verdict = BacktestVerdict((
        OutcomeComparison("accepted", 20, Ratio(18, 40), Ratio(4, 10)),
        OutcomeComparison("deal", 4, Ratio(3, 10), Ratio(1, 10)),
        OutcomeComparison("won", 20, Ratio(10, 20), Ratio(11, 21)),
    ))  # fmt: skip
    assert verdict.lines() == [
        "verdict: the candidate is worse than the current model on the known outcomes",
        "  accepted: worse — captures 4 of 20 known positives (current 18); rate 40.0 % (n=10) (current 45.0 % (n=40))",
        "  deal: can't tell (too few outcomes: 4 known positive(s) in reality, 10 needed)",
        "  won: can't tell — captures 11 of 20 known positives (current 10); rate 52.4 % (n=21) "
        "(current 50.0 % (n=20))",
    ]
    outcomes = {"accepted": "worse", "deal": "can't tell", "won": "can't tell"}
    assert verdict.document() == {"judgement": "worse", "outcomes": outcomes}


def test_one_outcome_better_and_another_worse_is_cant_tell() -> None:
    verdict = BacktestVerdict((compared(20, (18, 40), (4, 10)), compared(20, (4, 10), (18, 40))))
    assert verdict.judgement == "can't tell"
    assert verdict.headline() == "verdict: can't tell whether the candidate is better or worse than the current model"


def report() -> BacktestReport:
    current, candidate = ModelFigures("m1"), ModelFigures("m2")
    for figures, counts in ((current, (18, 22, 3)), (candidate, (4, 6, 1))):
        figures.outcomes["accepted"] = OutcomeCounts(*counts)
    found = BacktestReport(BacktestWindow(None, END), END, current, candidate, contacts=60, handed_over=45)
    found.known_positives["accepted"] = 20
    found.lost = [StageMove(str(n), "mql" if n % 3 else "sql", END - timedelta(days=n)) for n in range(30)]
    return found


def test_the_verdict_of_the_recorded_document_is_the_reports() -> None:
    made = report()
    document = bounded_document(backtest_document(made))
    assert document_verdict(document) == report_verdict(made)
    assert report_verdict(made).judgement == "worse"


def test_a_recorded_document_keeps_the_first_entries_of_each_list_and_counts_them_all() -> None:
    document = bounded_document(backtest_document(report()), limit=5)
    assert [move["contact"] for move in document["lost"]] == ["0", "1", "2", "3", "4"]
    assert document["listed"] == {
        "limit": 5,
        "counts": {"gained": 0, "lost": 30, "earliest": 0},
        "stages": {"gained": {}, "lost": {"mql": 20, "sql": 10}},
    }
    assert document["totals"] == backtest_document(report())["totals"]
