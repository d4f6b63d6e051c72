"""The demo report's nurture section from given figures: the e-mails per step with the buyers' reactions, and the
funnel with and without nurture, the differences and the contacts nurture moved to MQL."""

from __future__ import annotations

from collections import Counter

from app.demo.nurture import FunnelOutcome, print_nurture_comparison, print_nurture_sends
from app.rules.kpis.figures import Ratio
from hubspot_twin.simulator import SeededPortal, SimulationReport
from hubspot_twin.simulator.personas import persona_named
from hubspot_twin.simulator.portal import SimContact
from hubspot_twin.simulator.simulation import NurtureActivity

PERSONAS = ("researcher", "researcher", "evaluator", "tire-kicker", "champion")
PORTAL = SeededPortal(
    7, contacts=[SimContact(str(1001 + n), n, f"Buyer {n}", persona_named(p), None) for n, p in enumerate(PERSONAS)]
)


def printed(with_nurture: FunnelOutcome, without: FunnelOutcome) -> list[str]:
    lines: list[str] = []
    print_nurture_comparison(PORTAL, with_nurture, without, lines.append)
    return lines


def test_both_runs_their_differences_and_the_contacts_nurture_moved_are_printed() -> None:
    with_nurture = FunnelOutcome(5, 2, Ratio(2, 5), Counter({0: 1, 1: 2, 2: 1, 4: 1}))
    without = FunnelOutcome(3, 1, Ratio(1, 3), Counter({1: 1, 3: 1, 4: 1}))
    lines = printed(with_nurture, without)
    assert lines[0] == "\nNurture's difference: the same seed played without config/nurture.yaml"
    rows = [line.split("  ") for line in lines[3:6]]
    assert [[cell.strip() for cell in row if cell.strip()] for row in rows] == [
        ["with nurture", "5", "2", "40.0 % (2/5)"],
        ["without nurture", "3", "1", "33.3 % (1/3)"],
        ["difference", "+2", "+1", "+6.7 pt"],
    ]
    assert lines[6:] == [
        "  reached MQL only with nurture: 2 (1 evaluator, 1 researcher): Buyer 0 (researcher), Buyer 2 (evaluator)",
        "  reached MQL only without nurture: 1 (1 tire-kicker): Buyer 3 (tire-kicker)",
        "  reached MQL in both, more often with nurture (again after a recycle): 1; less often: 0",  # Buyer 1
    ]


def test_equal_runs_show_no_difference_and_no_contacts() -> None:
    same = FunnelOutcome(0, 0, Ratio(0, 0), Counter())
    lines = printed(same, same)
    assert [cell.strip() for cell in lines[5].split("  ") if cell.strip()] == ["difference", "+0", "+0", "—"]
    assert lines[6:] == [
        "  reached MQL only with nurture: 0",
        "  reached MQL only without nurture: 0",
        "  reached MQL in both, more often with nurture (again after a recycle): 0; less often: 0",
    ]


def test_each_steps_sends_and_reactions_are_printed_most_sent_first_a_newsletters_offer_being_its_click() -> None:
    report = SimulationReport(days=10)
    report.nurture = NurtureActivity(
        sent=Counter({"checklist": 9, "best-of-newsletter": 4, "company-news": 2}),
        reactions=Counter({("checklist", "open"): 3, ("checklist", "click"): 4, ("checklist", "action"): 3,
                           ("best-of-newsletter", "click"): 2, ("company-news", "open"): 1}),
    )  # fmt: skip
    lines: list[str] = []
    print_nurture_sends(report, lines.append)
    table = [[cell for cell in line.split("  ") if cell.strip()] for line in lines[3:6]]
    assert [[cell.strip() for cell in row] for row in table] == [
        ["checklist", "9", "7", "4", "3"],
        ["best-of-newsletter", "4", "2", "2", "2"],
        ["company-news", "2", "1", "0", "—"],
    ]


def test_a_run_without_sends_says_so() -> None:
    lines: list[str] = []
    print_nurture_sends(SimulationReport(days=3), lines.append)
    assert lines[-1] == "  none sent"
