"""History for KPIs and calibration in the ledger (SQLite and PostgreSQL): transitions with their assessment and
trigger time, the compact score history, and how both follow merges, erasure and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.ledger import history
from app.ledger.models import Base
from app.ledger.records import AssessedContact, Intake, Merge, NewSignal, ScoreChangeRecord, TransitionRecord
from app.ledger.store import Ledger
from tests.integration.test_ledger_handovers import request, round_robin
from tests.support.ledger import assessment, record_drain

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ACTED = NOW - timedelta(minutes=3)


def change(contact: str, at: datetime = NOW, score: int = 105, stage: str | None = "mql") -> ScoreChangeRecord:
    return ScoreChangeRecord(
        contact, at, 90, score - 90, score, "A3", stage, "+30 Decision maker", "m1", 1, "signal", ACTED
    )


def record_changes(ledger: Ledger, *changes: ScoreChangeRecord) -> None:
    with ledger.transaction() as connection:
        history.record_score_changes(connection, changes)


def signal(key: str, contact: str, occurred_at: datetime) -> NewSignal:
    return NewSignal(
        key, "contact.propertyChange", "contact.changed", "contact", contact, contact, occurred_at, {"eventId": 1}
    )


def test_the_migrations_build_exactly_the_tables_the_models_declare(ledger: Ledger) -> None:
    with ledger.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_a_transition_keeps_the_assessment_that_caused_it_and_when_the_buyer_acted(ledger: Ledger) -> None:
    caused = TransitionRecord("101", None, "mql", NOW, 1, "m1", 90, 15, 105, "A3", "signal", ACTED)
    swept = TransitionRecord("101", "mql", None, NOW + timedelta(days=30), 1, "m1", 90, 4, 94, "A4", "none", None)
    ledger.handovers.record_transitions([caused, swept])
    assert ledger.handovers.transitions_of("101") == [caused, swept]


def test_the_backlog_names_when_the_newest_waiting_signal_occurred(ledger: Ledger) -> None:
    signals = (signal("a", "101", ACTED - timedelta(hours=2)), signal("b", "101", ACTED), signal("c", "202", NOW))
    ledger.signals.record_intake(Intake(signals=signals[:2]), NOW)
    watermark = ledger.signals.watermark()
    ledger.signals.record_intake(Intake(signals=signals[2:]), NOW)  # after the watermark: not this drain's
    later = signal("d", "101", NOW + timedelta(minutes=1))
    ledger.signals.record_intake(Intake(signals=(later,)), NOW)
    backlog = ledger.signals.backlog_of(["101", "202"], watermark)
    assert list(backlog) == ["101"]
    assert (backlog["101"].signals, backlog["101"].newest_occurred_at) == (2, ACTED)


def test_a_contacts_history_holds_its_state_score_changes_transitions_and_handovers_oldest_first(
    ledger: Ledger,
) -> None:
    record_drain(ledger, [AssessedContact("101", None, assessment(stage="mql"), NOW, True)], [], {}, 0, NOW)
    record_changes(ledger, change("101", NOW), change("101", NOW - timedelta(days=1), 90, None), change("202"))
    ledger.handovers.record_transitions([TransitionRecord("101", None, "mql", NOW, 1, "m1")])
    ledger.handovers.reserve([request("101")], round_robin, NOW)
    found = ledger.history.of("101")
    assert found.known and found.state is not None and found.state.stage == "mql"
    assert [(c.at, c.score, c.stage) for c in found.score_changes] == [(NOW - timedelta(days=1), 90, None),
                                                                       (NOW, 105, "mql")]  # fmt: skip
    assert found.score_changes[-1] == change("101")
    assert [t.to_stage for t in found.transitions] == ["mql"]
    assert [h.key for h in found.handovers] == ["101-mql-1"]
    assert not ledger.history.of("999").known


def test_a_merge_moves_the_score_history_to_the_survivor(ledger: Ledger) -> None:
    record_changes(ledger, change("102", NOW - timedelta(days=2), 90, None), change("101", NOW))
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW)
    assert [c.score for c in ledger.history.of("101").score_changes] == [90, 105]
    assert not ledger.history.of("102").known


def test_forgetting_and_a_privacy_deletion_erase_the_score_history(ledger: Ledger) -> None:
    record_changes(ledger, change("101"), change("101", NOW + timedelta(hours=1)), change("202"), change("303"))
    assert ledger.privacy.forget(["101"], "forget", NOW) == 2
    ledger.signals.record_intake(Intake(forgotten=("202",)), NOW)
    assert not ledger.history.of("101").known and not ledger.history.of("202").known
    assert ledger.history.of("303").known
    assert ledger.privacy.erasures() == [(NOW, "forget", 1, 2), (NOW, "privacy-deletion", 1, 1)]


def test_retention_prunes_score_history_older_than_the_signals_and_erases_deleted_contacts_history(
    ledger: Ledger,
) -> None:
    old = NOW - timedelta(days=120)
    record_changes(ledger, change("101", old, 90), change("101", NOW, 105), change("202", NOW))
    record_drain(ledger, [AssessedContact("202", None, assessment(), old, True)], ["202"], {}, 0, old)
    pruned = ledger.privacy.prune(NOW - timedelta(days=90), NOW - timedelta(days=90), NOW)
    assert (pruned.score_changes, pruned.contacts) == (1, 1)
    assert [c.score for c in ledger.history.of("101").score_changes] == [105]
    assert not ledger.history.of("202").known  # HubSpot deleted it long ago: erased with its history
