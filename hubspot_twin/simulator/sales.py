"""The sales team, played: reps touch the leads handed to them, work the tasks, accept or reject, close the deals.

Reps react to what Leadflow creates (tasks and deals with a `hubspot_owner_id`) at their own pace
(hubspot_twin/simulator/reps.py): a rep first touches the lead (logs a call or a sales e-mail on the contact, the
way HubSpot's UI does), later completes the task and accepts or rejects by the contact's persona, so later KPIs,
the SLA and calibration have ground truth. Where Leadflow created a Lead (0-136) for the contact, the rep works it
too, as in HubSpot's Leads workspace: the first touch moves it to Attempting, the judgement to Qualified or to
Disqualified with a reason. Every change is a rep's, in HubSpot's UI.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hubspot_twin.catalog.leads import DEFAULT_PIPELINE_ID as LEAD_PIPELINE_ID
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.crm.timestamps import parse_instant
from hubspot_twin.simulator.portal import SeededPortal
from hubspot_twin.simulator.reps import FAST_HOURS, RepProfile, after_working_hours, log_entry, rep_profiles
from hubspot_twin.twin import Twin

ACCEPTED = ("CONNECTED", "ATTEMPTED_TO_CONTACT")
REJECTED = ("UNQUALIFIED", "BAD_TIMING")
HANDOVER_KEY = "leadflow_handover_id"  # Leadflow's key of the handover a task or deal belongs to, when set
LOST_REASONS = ("No budget", "Chose a competitor", "Timing", "No decision")
ESCALATION = "-escalation"  # in the key of an SLA escalation task for a manager (`…-escalation`, `…-escalation-1`)
WORK_HOURS = (0.5, 8.0)  # working hours from the first touch to completing the task and judging the lead
# A lead in HubSpot's default lead pipeline moves on the first touch (from New) and on the judgement (while open).
LEAD_NEW, LEAD_ATTEMPTING = "new-stage-id", "attempting-stage-id"
LEAD_OPEN = (LEAD_NEW, LEAD_ATTEMPTING, "connected-stage-id")
LEAD_QUALIFIED, LEAD_DISQUALIFIED = "qualified-stage-id", "unqualified-stage-id"
DISQUALIFICATION_REASONS = {"UNQUALIFIED": "NOT_A_GOOD_FIT", "BAD_TIMING": "BAD_TIMING"}  # by hs_lead_status


@dataclass
class SalesActivity:
    tasks_worked: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    touches: Counter[str] = field(default_factory=Counter)  # first touches logged, by engagement type
    outcomes: dict[str, str] = field(default_factory=dict)


class SalesTeam:
    """Plays the reps of a seeded portal; `play(now)` does what is due by `now`."""

    def __init__(
        self,
        twin: Twin,
        portal: SeededPortal,
        seed: int,
        *,
        holiday: tuple[datetime, int] | None = None,
        deal_days: tuple[float, float] = (5, 30),
    ) -> None:
        """`holiday`: (start, days) of the simulation, to send one rep on holiday within it; None: nobody away."""
        self.twin = twin
        self.personas = {contact.id: contact.persona for contact in portal.contacts}
        self.seed = seed
        self.profiles = rep_profiles(portal.owners, seed, holiday)
        self.deal_days = deal_days
        self.activity = SalesActivity()
        self._reps: dict[str, ChangeSource] = {}
        self._seen: dict[tuple[str, str], datetime] = {}  # (task, owner) → when the owner got it
        self._touched: set[tuple[str, str]] = set()  # (task, owner) whose lead the owner has touched

    def play(self, now: datetime) -> None:
        """Work every task and close every deal whose time has come."""
        for task_id, created_at, properties in self.twin.live_objects("tasks"):
            if properties.get("hs_task_status") != "COMPLETED" and properties.get("hubspot_owner_id"):
                self._work_task(task_id, created_at, properties, now)
        for deal_id, created_at, properties in self.twin.live_objects("deals"):
            closed = properties.get("hs_is_closed") == "true"
            if not closed and properties.get("hubspot_owner_id"):
                self._close_deal(deal_id, created_at, properties, now)

    def _rng(self, *parts: str) -> random.Random:
        return random.Random(":".join((str(self.seed), *parts)))

    def _rep(self, owner_id: str) -> ChangeSource:
        """Return the source of a change by the user behind an owner, as HubSpot reports it (`userId:<user>`)."""
        if owner_id not in self._reps:
            users = {owner["id"]: owner.get("userIdIncludingInactive") for owner in self.twin.owners()}
            self._reps[owner_id] = ChangeSource("CRM_UI", f"userId:{users.get(owner_id, owner_id)}")
        return self._reps[owner_id]

    def _work_task(self, task_id: str, created_at: str, properties: dict[str, str], now: datetime) -> None:
        # Decisions follow the handover (contact, stage, cycle) and its owner, not the id HubSpot gave the task.
        key = properties.get(HANDOVER_KEY) or task_id
        owner_id = properties["hubspot_owner_id"]
        rng = self._rng("task", key, owner_id)
        profile = self.profiles.get(owner_id) or RepProfile(owner_id, "fast", FAST_HOURS)
        seen = profile.back_at(self._first_seen(task_id, owner_id, created_at))
        lead = not key.endswith("-data") and ESCALATION not in key  # a data or escalation task: no lead to touch
        touch_at = profile.back_at(after_working_hours(seen, rng.uniform(*profile.touch_hours)))
        if lead and touch_at <= now and not profile.is_away(now) and (task_id, owner_id) not in self._touched:
            self._touch(task_id, owner_id, touch_at, self._rng("touch", key, owner_id))
        if profile.is_away(now) or now < after_working_hours(touch_at, rng.uniform(*WORK_HOURS)):
            return
        rep = self._rep(owner_id)
        self.twin.update_object("tasks", task_id, {"hs_task_status": "COMPLETED"}, source=rep)
        self.activity.tasks_worked += 1
        if not lead:
            return  # marketing-ops completes the contact's data, a manager saw the escalation: no lead to judge
        for contact_id in self.twin.associated_ids("tasks", task_id, "contacts"):
            persona = self.personas.get(contact_id)
            accepted = persona is not None and rng.random() < persona.accept_rate
            status = rng.choice(ACCEPTED if accepted else REJECTED)
            self.twin.update_object("contacts", contact_id, {"hs_lead_status": status}, source=rep)
            self._work_leads(contact_id, LEAD_OPEN, _lead_judgement(status, accepted), rep)
            self.activity.outcomes[contact_id] = status
            if accepted:
                self.activity.accepted += 1
            else:
                self.activity.rejected += 1

    def _first_seen(self, task_id: str, owner_id: str, created_at: str) -> datetime:
        """Return when the owner got the task: when it was created, or given to them (a reassignment); remembered,
        so an old task reassigned to a new owner is new to them."""
        if (task_id, owner_id) not in self._seen:
            owners = self.twin.history("tasks", task_id, "hubspot_owner_id")
            given = [stamp for stamp, value in owners if value == owner_id]
            self._seen[task_id, owner_id] = _instant(given[-1] if given else created_at)
        return self._seen[task_id, owner_id]

    def _touch(self, task_id: str, owner_id: str, at: datetime, rng: random.Random) -> None:
        """Log the rep's first touch of the task's contacts: a call or a sales e-mail at `at`, as in HubSpot's UI."""
        self._touched.add((task_id, owner_id))
        for contact_id in self.twin.associated_ids("tasks", task_id, "contacts"):
            kind, values = log_entry(rng, owner_id, at)
            engagement = self.twin.create_object(kind, values, source=self._rep(owner_id))
            self.twin.associate(kind, engagement, "contacts", contact_id, source=self._rep(owner_id))
            self._work_leads(contact_id, (LEAD_NEW,), {"hs_pipeline_stage": LEAD_ATTEMPTING}, self._rep(owner_id))
            self.activity.touches[kind] += 1

    def _work_leads(self, contact_id: str, stages: tuple[str, ...], values: dict[str, str], rep: ChangeSource) -> None:
        """Write `values` on the contact's leads in the default lead pipeline that sit in one of `stages` (none in a
        portal without Leads)."""
        if not self.twin.has_leads:
            return
        for lead_id in self.twin.associated_ids("contacts", contact_id, "leads"):
            lead = self.twin.get_object("leads", lead_id)
            if lead.get("hs_pipeline") == LEAD_PIPELINE_ID and lead.get("hs_pipeline_stage") in stages:
                self.twin.update_object("leads", lead_id, values, source=rep)

    def _closing_stages(self, pipeline_id: str) -> tuple[str | None, str | None]:
        """Return the pipeline's closed-won and closed-lost stage ids (closed, probability 1 and 0)."""
        pipeline = next((p for p in self.twin.pipelines() if p["id"] == pipeline_id), None)
        closed = [s for s in (pipeline or {}).get("stages", []) if s["metadata"].get("isClosed") == "true"]
        won = next((s["id"] for s in closed if float(s["metadata"].get("probability", 0)) >= 1.0), None)
        lost = next((s["id"] for s in closed if float(s["metadata"].get("probability", 0)) <= 0.0), None)
        return won, lost

    def _close_deal(self, deal_id: str, created_at: str, properties: dict[str, str], now: datetime) -> None:
        rng = self._rng("deal", properties.get(HANDOVER_KEY) or deal_id)
        if now < _instant(created_at) + timedelta(days=rng.uniform(*self.deal_days)):
            return
        won_stage, lost_stage = self._closing_stages(properties.get("pipeline") or "default")
        if won_stage is None or lost_stage is None:
            return  # a pipeline without closed-won and closed-lost stages: its deals stay open
        contacts = self.twin.associated_ids("deals", deal_id, "contacts")
        persona = self.personas.get(contacts[0]) if contacts else None
        won = persona is not None and rng.random() < persona.win_rate
        values = {"dealstage": won_stage} if won else {"dealstage": lost_stage}
        if not won:
            values["closed_lost_reason"] = rng.choice(LOST_REASONS)
        self.twin.update_object("deals", deal_id, values, source=self._rep(properties["hubspot_owner_id"]))
        if won:
            self.activity.won += 1
        else:
            self.activity.lost += 1


def _lead_judgement(status: str, accepted: bool) -> dict[str, str]:
    """Return what a rep writes on a lead they judged: Qualified, or Disqualified with the reason of `status`."""
    if accepted:
        return {"hs_pipeline_stage": LEAD_QUALIFIED}
    return {"hs_pipeline_stage": LEAD_DISQUALIFIED, "hs_lead_disqualification_reason": DISQUALIFICATION_REASONS[status]}


def _instant(text: str) -> datetime:
    parsed = parse_instant(text)
    if parsed is None:
        raise ValueError(f"not an instant: {text!r}")
    return parsed
