"""How buyers react to a nurture email, by persona and by the content's funnel phase: open it, click it, do what
the content asks (download the checklist, register for the webinar, …) — or ignore it.

A researcher downloads the checklist it is sent; a tire-kicker opens one email in five and hardly ever clicks.
Each reaction is drawn from `random.Random(f"{seed}:nurture:{contact index}:{content}")` (a step is sent to a
contact once), so the same seed gives the same reactions whenever the email is sent and in whatever order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubspot_twin.simulator.plan import PlannedAction
from hubspot_twin.simulator.portal import SimContact

OPEN, CLICK = "newsletter_open", "newsletter_click"  # a nurture email's open and click are a marketing email's


@dataclass(frozen=True)
class Content:
    """A nurture email: the phase it speaks to and the action it offers (`None`: the click is all there is);
    `act_share` of the interested clickers take the action (a demo request is a big step)."""

    phase: str
    action: str | None
    act_share: float = 1.0


# The content ids of config/nurture.yaml. A content id not listed here (nor `recycled-` and a listed one) is opened
# at most.
CONTENT: Mapping[str, Content] = {
    "checklist": Content("awareness", "checklist"),
    "webinar-invite": Content("awareness", "webinar"),
    "best-of-newsletter": Content("awareness", None),
    "comparison-guide": Content("consideration", "whitepaper"),
    "pricing-overview": Content("consideration", "pricing_view"),
    "roi-calculator": Content("decision", "demo_request", act_share=0.35),
    "customer-story": Content("decision", "pricing_view"),
    "whats-new": Content("recycled", None),
    "recycled-checklist": Content("recycled", "checklist"),
    "recycled-webinar": Content("recycled", "webinar"),
}
RECYCLED = "recycled-"  # `recycled-checklist`, `recycled-webinar-invite`: the namesake's action, the recycled phase


def content_of(content_id: str) -> Content | None:
    """Return the content `content_id` names: listed, or `recycled-` and a listed one; None when unknown."""
    if content_id in CONTENT:
        return CONTENT[content_id]
    namesake = CONTENT.get(content_id.removeprefix(RECYCLED)) if content_id.startswith(RECYCLED) else None
    return None if namesake is None else Content("recycled", namesake.action, namesake.act_share)


@dataclass(frozen=True)
class Interest:
    """Of those sent the email, `open` open it; of those, `click` click; of those, `act` take the action."""

    open: float
    click: float
    act: float


@dataclass(frozen=True)
class Responsiveness:
    """How soon after the send a persona opens (uniform up to `open_hours`); a click follows the open within
    `click_minutes`, the action the click within `act_minutes`."""

    open_hours: float
    click_minutes: float = 20.0
    act_minutes: float = 30.0


IGNORES = Interest(0.0, 0.0, 0.0)
# persona × phase. Researchers and champions take awareness content, evaluators (and champions) decision content;
# tire-kickers, students and competitors rarely or never act; customers are not nurtured, and barely read it.
INTEREST: Mapping[str, Mapping[str, Interest]] = {
    "researcher": {"awareness": Interest(0.75, 0.65, 0.8), "consideration": Interest(0.65, 0.45, 0.55),
                   "decision": Interest(0.45, 0.2, 0.25), "recycled": Interest(0.55, 0.4, 0.5)},
    "champion": {"awareness": Interest(0.7, 0.6, 0.7), "consideration": Interest(0.7, 0.6, 0.7),
                 "decision": Interest(0.7, 0.6, 0.65), "recycled": Interest(0.6, 0.45, 0.5)},
    "evaluator": {"awareness": Interest(0.5, 0.25, 0.3), "consideration": Interest(0.7, 0.5, 0.6),
                  "decision": Interest(0.8, 0.65, 0.75), "recycled": Interest(0.6, 0.4, 0.45)},
    "tire-kicker": {phase: Interest(0.2, 0.1, 0.05) for phase in ("awareness", "consideration", "decision",
                                                                  "recycled")},
    "student": {"awareness": Interest(0.3, 0.1, 0.1), "consideration": Interest(0.2, 0.05, 0.0),
                "decision": IGNORES, "recycled": Interest(0.2, 0.05, 0.0)},
    "competitor": {phase: Interest(0.35, 0.1, 0.0) for phase in ("awareness", "consideration", "decision",
                                                                 "recycled")},
    "existing-customer": {phase: Interest(0.3, 0.05, 0.0) for phase in ("awareness", "consideration", "decision",
                                                                        "recycled")},
}  # fmt: skip
RESPONSIVENESS: Mapping[str, Responsiveness] = {
    "researcher": Responsiveness(30), "champion": Responsiveness(12), "evaluator": Responsiveness(8),
    "tire-kicker": Responsiveness(72), "student": Responsiveness(48), "competitor": Responsiveness(24),
    "existing-customer": Responsiveness(48),
}  # fmt: skip


def plan_reactions(contact: SimContact, content_id: str, sent_at: datetime, seed: int) -> list[PlannedAction]:
    """Return the contact's reactions to the email `content_id` sent at `sent_at`, in time order (maybe none)."""
    rng = random.Random(f"{seed}:nurture:{contact.index}:{content_id}")
    persona = contact.persona.name
    content = content_of(content_id)
    interest = INTEREST.get(persona, {}).get(content.phase if content else "awareness", IGNORES)
    pace = RESPONSIVENESS.get(persona, Responsiveness(48))
    # Every draw is made, whatever the outcome, so one probability's change does not shift the others'.
    opens, clicks, acts = rng.random() < interest.open, rng.random() < interest.click, rng.random() < interest.act
    taken = content is not None and rng.random() < content.act_share
    opened_at = sent_at + timedelta(hours=rng.uniform(0.05, pace.open_hours))
    clicked_at = opened_at + timedelta(minutes=rng.uniform(0.5, pace.click_minutes))
    acted_at = clicked_at + timedelta(minutes=rng.uniform(1.0, pace.act_minutes))
    if not opens:
        return []

    def reaction(at: datetime, action: str, kind: str) -> PlannedAction:
        return PlannedAction(at, contact.index, action, content=content_id, reaction=kind)

    if content is None or not clicks:
        return [reaction(opened_at, OPEN, "open")]
    if content.action is None:  # the click is the content's action (a newsletter's link)
        return [reaction(clicked_at, CLICK, "click")]
    planned = [reaction(clicked_at, CLICK, "click")]
    if acts and taken:
        planned.append(reaction(acted_at, content.action, "action"))
    return planned
