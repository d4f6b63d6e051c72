"""The handover notification: a Slack-compatible message (`text` for any client, `blocks` for Slack)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.rules.handover.types import HandoverPlan, Lead, Owner, RawProperties
from app.rules.scoring.assessment import render_reason
from app.rules.values import as_utc

TOP_REASONS = 3
HEADER_LIMIT = 150  # Slack: a header's plain text is at most 150 characters
TEXT_LIMIT = 3000  # Slack: a section's text is at most 3,000 characters
FIELD_LIMIT = 2000  # Slack: a section field's text is at most 2,000 characters


def notification(lead: Lead, plan: HandoverPlan, owner: Owner | None, contact_url: str | None) -> dict[str, Any]:
    """Return the message announcing a handover: who, which stage, how good, to whom, by when, and a link."""
    company = lead.company.get("name") or ""
    title = f"{plan.stage.upper()}: {contact_name(lead)}" + (f" at {company}" if company else "")
    score = _score(lead)
    owner_name = (owner.name or owner.email) if owner else "unassigned"
    due = f"{as_utc(plan.task.due_at):%Y-%m-%d %H:%M} UTC" if plan.task else None
    fields = [_field("Stage", plan.stage), _field("Score", score), _field("Owner", owner_name)]
    if plan.task and due:
        fields.append(_mrkdwn(f"*Due*\n{_slack_date(plan.task.due_at, due)}"))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_LIMIT)}},
        {"type": "section", "fields": fields},
    ]
    reasons = [f"• {_escape(render_reason(reason))}" for reason in lead.assessment.reasons[:TOP_REASONS]]
    if reasons:
        blocks.append({"type": "section", "text": _mrkdwn(_cut("*Top reasons*\n" + "\n".join(reasons), TEXT_LIMIT))})
    if contact_url:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open in HubSpot"}, "url": contact_url}
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": _fallback_text(title, score, owner_name, due, contact_url), "blocks": blocks}


def feedback_notification(
    contact_id: str, contact: RawProperties, flag: str, owner: Owner | None, contact_url: str | None
) -> dict[str, Any]:
    """Return the message asking a lead's owner for the reason of a rejection (`flag`: what is wrong with it)."""
    name = _name_of(contact_id, contact)
    to = f"{owner.name or owner.email}: " if owner else ""
    text = f"{to}{name} was rejected without a reason from the list ({flag}). Please pick one in 'Reject reason'."
    blocks: list[dict[str, Any]] = [{"type": "section", "text": _mrkdwn(_cut(_escape(text), TEXT_LIMIT))}]
    if contact_url:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open in HubSpot"}, "url": contact_url}
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": _escape(text) + (f" · {contact_url}" if contact_url else ""), "blocks": blocks}


def contact_name(lead: Lead) -> str:
    """Return how a message names the contact: first and last name, else the email, else the id."""
    return _name_of(lead.contact_id, lead.contact)


def _name_of(contact_id: str, contact: RawProperties) -> str:
    full = " ".join(part for part in (contact.get("firstname"), contact.get("lastname")) if part)
    return full or contact.get("email") or f"contact {contact_id}"


def _fallback_text(title: str, score: str, owner: str, due: str | None, url: str | None) -> str:
    parts = [title, f"score {score}", f"owner {owner}"] + ([f"due {due}"] if due else [])
    return _escape(" · ".join(parts)) + (f" · {url}" if url else "")


def _score(lead: Lead) -> str:
    assessment = lead.assessment
    grade = assessment.grade or "–"
    return f"{assessment.score} (grade {grade}, fit {assessment.fit}, engagement {assessment.engagement})"


def _field(label: str, value: str) -> dict[str, str]:
    return _mrkdwn(_cut(f"*{label}*\n{_escape(value)}", FIELD_LIMIT))


def _slack_date(moment: datetime, fallback: str) -> str:
    """Format a moment for Slack to show in each reader's time zone; other clients show `fallback`."""
    return f"<!date^{int(as_utc(moment).timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _escape(text: str) -> str:
    """Escape what Slack reads as markup (`<!channel>`, links), so contact data shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
