"""The handover notification is Slack-compatible JSON: a plain `text` fallback and `blocks` with the summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.rules import notification
from app.rules.handover.notification import feedback_notification
from app.rules.handover.types import HandoverPlan, Lead, Owner, RoutingDecision, TaskSpec
from app.rules.scoring.assessment import Assessment, Reason

DUE = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
REASONS = tuple(Reason(f"r{n}", f"Reason {n}", 40 - n) for n in range(5))
DANA = Owner("11", "dana.fuchs@example.com", "Dana Fuchs")
URL = "https://app.hubspot.com/contacts/42/record/0-1/123"


def lead(contact: dict[str, str | None] | None = None, company: dict[str, str | None] | None = None) -> Lead:
    assessment = Assessment(75, 40, 115, "A2", "sql", (), "m-1", REASONS)
    contact = {"firstname": "Jane", "lastname": "Doe", "email": "jane@acme.example"} if contact is None else contact
    return Lead("123", contact, "55", {"name": "Acme GmbH"} if company is None else company, assessment)


def plan(task: bool = True) -> HandoverPlan:
    spec = TaskSpec("Call Jane", "", "CALL", "HIGH", DUE, "11") if task else None
    decision = RoutingDecision("11", "territories", "territory dach: …", "dach-team")
    return HandoverPlan("123", "sql", 1, "123-sql-1", decision, {}, spec, None, True)


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_the_message_has_a_fallback_text_and_blocks() -> None:
    message = notification(lead(), plan(), DANA, URL)
    assert message["text"] == (
        "SQL: Jane Doe at Acme GmbH · score 115 (grade A2, fit 75, engagement 40) · owner Dana Fuchs"
        f" · due 2026-11-30 11:00 UTC · {URL}"
    )
    assert [block["type"] for block in message["blocks"]] == ["header", "section", "section", "actions"]
    json.dumps(message)  # JSON all the way down


def test_the_header_names_stage_contact_and_company() -> None:
    header = notification(lead(), plan(), DANA, URL)["blocks"][0]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "SQL: Jane Doe at Acme GmbH"}}


def test_the_fields_show_stage_score_owner_and_due_date() -> None:
    fields = notification(lead(), plan(), DANA, URL)["blocks"][1]["fields"]
    assert [field["text"] for field in fields] == [
        "*Stage*\nsql",
        "*Score*\n115 (grade A2, fit 75, engagement 40)",
        "*Owner*\nDana Fuchs",
        f"*Due*\n<!date^{int(DUE.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-30 11:00 UTC>",
    ]
    assert all(field["type"] == "mrkdwn" for field in fields)


def test_the_top_three_reasons_are_listed() -> None:
    reasons = notification(lead(), plan(), DANA, URL)["blocks"][2]["text"]["text"]
    assert reasons == "*Top reasons*\n• +40 Reason 0\n• +39 Reason 1\n• +38 Reason 2"


def test_the_link_is_a_button_to_the_contact() -> None:
    actions = notification(lead(), plan(), DANA, URL)["blocks"][-1]
    assert actions["elements"][0]["url"] == URL
    assert actions["elements"][0]["type"] == "button"


def test_without_link_owner_or_task_the_message_says_unassigned_and_has_no_button() -> None:
    message = notification(lead(), plan(task=False), None, None)
    assert [block["type"] for block in message["blocks"]] == ["header", "section", "section"]
    assert {"type": "mrkdwn", "text": "*Owner*\nunassigned"} in message["blocks"][1]["fields"]
    assert "Due" not in texts(message)
    assert message["text"].endswith("owner unassigned")


def test_a_contact_without_name_is_named_by_email_then_id() -> None:
    assert notification(lead({"email": "x@y.example"}), plan(), DANA, URL)["text"].startswith("SQL: x@y.example at")
    assert notification(lead({}, {}), plan(), DANA, URL)["text"].startswith("SQL: contact 123 ·")


def test_contact_data_cannot_inject_slack_markup() -> None:
    message = notification(lead({"firstname": "<!channel>", "lastname": "& Co"}), plan(), DANA, URL)
    assert "<!channel>" not in message["text"]
    assert message["text"].startswith("SQL: &lt;!channel&gt; &amp; Co at Acme GmbH")


def test_a_very_long_header_is_cut_to_slacks_limit() -> None:
    header = notification(lead({"firstname": "J" * 300}), plan(), DANA, URL)["blocks"][0]["text"]["text"]
    assert len(header) == 150
    assert header.endswith("…")


def test_the_feedback_message_asks_the_owner_for_the_reason_with_contact_data_escaped() -> None:
    flag = "SQL: rejected without a reason (pick one in 'Reject reason')"
    contact: dict[str, str | None] = {"firstname": "<!channel>", "lastname": "Doe"}
    message = feedback_notification("123", contact, flag, DANA, URL)
    assert message["text"] == (
        f"Dana Fuchs: &lt;!channel&gt; Doe was rejected without a reason from the list ({flag}). "
        f"Please pick one in 'Reject reason'. · {URL}"
    )
    assert message["blocks"][-1]["elements"][0]["url"] == URL
    anonymous = feedback_notification("123", {}, flag, None, None)
    assert anonymous["text"].startswith("contact 123 was rejected") and len(anonymous["blocks"]) == 1
