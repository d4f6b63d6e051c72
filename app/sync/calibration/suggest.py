"""The shell of `leadflow calibrate --suggest` (docs/calibration.md, Suggestions): read each cohort lead as it was at
its MQL — its values from HubSpot's property histories, its engagements from the ledger, as the backtest reads them —
fit, propose the suggested scoring.yaml, and backtest it against the current model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from app.rules.calibration.advice import Advice, Proposal, advise
from app.rules.calibration.backtest import BacktestWindow
from app.rules.calibration.features import DecisionCycles, DecisionFeatures, FeatureRow, decision_cycles
from app.rules.calibration.model_text import rewrite_points, suggested_name, unified_diff
from app.rules.calibration.outcomes import Horizon, Outcome, Window
from app.rules.calibration.suggestions import Fitter
from app.rules.scoring.config import parse_scoring_model
from app.sync.calibration.backtest import PAGE_SIZE, BacktestContext, property_names, replay_contacts, run_backtest
from app.sync.kpis.facts import ledger_facts


@dataclass(frozen=True)
class SuggestContext:
    """What the suggestions read: the backtest's adapters and the current scoring.yaml's text and name."""

    backtest: BacktestContext
    scoring_text: str
    scoring_file: str


@dataclass(frozen=True)
class SuggestRequest:
    """The cohort's window, the outcomes' horizon, the outcome to predict and the fitter."""

    window: Window
    horizon: Horizon
    outcome: Outcome
    fitter: Fitter


def run_suggestions(ctx: SuggestContext, request: SuggestRequest, page_size: int = PAGE_SIZE) -> Advice:
    """Read the cohort's decision-time rows and advise on them."""
    model = ctx.backtest.model
    facts = ledger_facts(ctx.backtest.ledger, model.qualified_stages)
    cycles = decision_cycles(facts, request.window, request.horizon, request.outcome)
    reader = DecisionFeatures(model)
    rows = list(decision_rows(ctx.backtest, reader, cycles, page_size))
    return advise(model.model, reader.features, rows, request.outcome, (cycles.cycles, cycles.pending), request.fitter)


def decision_rows(
    ctx: BacktestContext, reader: DecisionFeatures, cycles: DecisionCycles, page_size: int = PAGE_SIZE
) -> Iterator[FeatureRow]:
    """Each known cycle's features at its MQL, read a page of contacts at a time."""
    contacts = sorted(cycles.by_contact)
    if not contacts:
        return
    gateway = ctx.gateway()
    names = property_names(reader.model, reader.model, None)
    types = ctx.ledger.contacts.property_types()
    for start in range(0, len(contacts), page_size):
        for contact in replay_contacts(ctx.ledger, gateway, names, contacts[start : start + page_size], types):
            for at, positive in cycles.by_contact[contact.contact_id]:
                yield reader.row(contact, at, positive)


def propose(ctx: SuggestContext, advice: Advice, day: datetime) -> Proposal | None:
    """The suggested file (validated by the config loader) and its diff; None when no rule's points change."""
    points = advice.changed_points
    if not points:
        return None
    name = suggested_name(advice.model, day.date())
    text = rewrite_points(ctx.scoring_text, points, name)
    parse_scoring_model(text, f"{ctx.scoring_file} (suggested)")  # the loader's line when the rewrite broke it
    return Proposal(name, text, unified_diff(ctx.scoring_text, text, ctx.scoring_file, f"{name}.yaml"))


def expected_effect(ctx: SuggestContext, proposal: Proposal, window: Window, horizon: Horizon) -> Proposal:
    """The proposal with its backtest against the current model over the window (up to `as_of` when open)."""
    candidate = parse_scoring_model(proposal.text, proposal.model)
    span = BacktestWindow(window.start, window.end or horizon.as_of)
    report = run_backtest(ctx.backtest, candidate, span, horizon)
    return Proposal(proposal.model, proposal.text, proposal.diff, proposal.written, report)
