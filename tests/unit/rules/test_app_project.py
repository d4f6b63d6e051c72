"""The HubSpot developer project `leadflow app build` writes: derived from the configuration, deterministic."""

from __future__ import annotations

import difflib
import inspect
import json
import shutil
from pathlib import Path

import pytest

from app.rules import load_configuration
from app.rules.app_project import METHOD_ACCESS, AppProject, Features, features_of, project_files, required_scopes
from app.rules.app_project.project import AppProjectError
from app.rules.app_project.scopes import FEATURE_CALLS, scopes_of
from app.rules.subscriptions import WebhookSubscription
from app.sync.hubspot.gateway import HubSpotGateway

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config"
URL = "https://leadflow.example.com"
WEBHOOKS = "src/app/webhooks/webhooks-hsmeta.json"
APP = "src/app/app-hsmeta.json"


def build(directory: Path = CONFIG) -> dict[str, str]:
    return project_files(AppProject("Leadflow", URL, features_of(load_configuration(directory))))


def subscriptions_in(webhooks: dict[str, object]) -> set[WebhookSubscription]:
    """Read the subscriptions back out of a webhooks component, whichever array holds them."""
    arrays = webhooks["config"]["subscriptions"]  # type: ignore[index]
    return {
        WebhookSubscription(entry["subscriptionType"], entry.get("propertyName"), entry.get("objectType"))
        for entries in arrays.values()
        for entry in entries
    }


def test_the_shipped_configuration_builds_a_private_static_auth_app_with_its_webhooks() -> None:
    files = build()
    assert sorted(files) == ["hsproject.json", APP, WEBHOOKS]
    assert json.loads(files["hsproject.json"]) == {"name": "Leadflow", "platformVersion": "2026.03", "srcDir": "src"}
    app = json.loads(files[APP])
    assert (app["type"], app["config"]["distribution"], app["config"]["auth"]["type"]) == ("app", "private", "static")
    webhooks = json.loads(files[WEBHOOKS])
    assert webhooks["type"] == "webhooks"
    assert webhooks["config"]["settings"]["targetUrl"] == "https://leadflow.example.com/webhooks/hubspot"
    assert app["uid"] != webhooks["uid"]


def test_the_app_lets_the_contact_card_fetch_from_leadflows_public_url_only() -> None:
    permitted = json.loads(build()[APP])["config"]["permittedUrls"]
    assert permitted == {"fetch": ["https://leadflow.example.com"], "iframe": [], "img": []}


def test_the_webhooks_are_exactly_the_subscriptions_setup_names() -> None:
    config = load_configuration(CONFIG)
    expected = features_of(config).subscriptions
    webhooks = json.loads(build()[WEBHOOKS])
    assert subscriptions_in(webhooks) == set(expected)
    arrays = webhooks["config"]["subscriptions"]
    assert sum(len(entries) for entries in arrays.values()) == len(expected)
    assert [entry["subscriptionType"] for entry in arrays["hubEvents"]] == ["contact.privacyDeletion"]
    assert all(entry["subscriptionType"].startswith("object.") for entry in arrays["crmObjects"])
    assert all(entry["active"] is True for entries in arrays.values() for entry in entries)


def test_the_shipped_configuration_asks_for_the_scopes_of_scoring_handover_and_leads_only() -> None:
    scopes = json.loads(build()[APP])["config"]["auth"]["requiredScopes"]
    assert scopes == [
        "crm.objects.companies.read", "crm.objects.contacts.read", "crm.objects.contacts.write",
        "crm.objects.deals.read", "crm.objects.deals.write", "crm.objects.leads.read", "crm.objects.leads.write",
        "crm.objects.owners.read", "crm.schemas.companies.read",
        "crm.schemas.contacts.read", "crm.schemas.contacts.write", "crm.schemas.deals.read",
        "crm.schemas.deals.write", "crm.schemas.leads.read", "crm.schemas.leads.write", "oauth",
    ]  # fmt: skip


def test_a_new_property_rule_adds_exactly_its_subscription_to_a_rebuild(tmp_path: Path) -> None:
    changed = tmp_path / "config"
    shutil.copytree(CONFIG, changed)
    scoring = changed / "scoring.yaml"
    rule = "    - id: dach\n"
    added = "    - id: job-title\n      label: Has a job title\n      when: contact.jobtitle != null\n      points: 5\n"
    scoring.write_text(scoring.read_text(encoding="utf-8").replace(rule, added + rule, 1), encoding="utf-8")
    before, after = build(), build(changed)
    assert before[APP] == after[APP] and before["hsproject.json"] == after["hsproject.json"]
    diff = [
        line
        for line in difflib.unified_diff(before[WEBHOOKS].splitlines(), after[WEBHOOKS].splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert all(line.startswith("+") for line in diff) and len(diff) == 5  # one entry of four fields, nothing else
    assert '"propertyName": "jobtitle",' in "".join(diff)
    new = subscriptions_in(json.loads(after[WEBHOOKS])) - subscriptions_in(json.loads(before[WEBHOOKS]))
    assert new == {WebhookSubscription("contact.propertyChange", "jobtitle")}


def test_removing_leads_from_handover_yaml_drops_their_scopes_and_subscriptions(tmp_path: Path) -> None:
    changed = tmp_path / "config"
    shutil.copytree(CONFIG, changed)
    handover = changed / "handover.yaml"
    text = handover.read_text(encoding="utf-8")
    start, end = text.index("\nleads:\n"), text.index("\n# A rejected lead")
    handover.write_text(text[:start] + "\n" + text[end:], encoding="utf-8")
    before, after = build(), build(changed)
    dropped = set(json.loads(before[APP])["config"]["auth"]["requiredScopes"]) - set(
        json.loads(after[APP])["config"]["auth"]["requiredScopes"]
    )
    assert dropped == {"crm.objects.leads.read", "crm.objects.leads.write", "crm.schemas.leads.read",
                       "crm.schemas.leads.write"}  # fmt: skip
    gone = subscriptions_in(json.loads(before[WEBHOOKS])) - subscriptions_in(json.loads(after[WEBHOOKS]))
    assert gone == {
        WebhookSubscription("object.propertyChange", "hs_pipeline_stage", "0-136"),
        WebhookSubscription("object.propertyChange", "hs_lead_disqualification_reason", "0-136"),
    }


def test_a_rebuild_of_the_same_configuration_is_identical() -> None:
    assert build() == build()


def test_every_gateway_method_has_an_access_and_every_feature_call_a_scope() -> None:
    methods = {
        name for name, member in inspect.getmembers(HubSpotGateway, inspect.isfunction) if not name.startswith("_")
    }
    assert set(METHOD_ACCESS) == methods
    for feature, calls in FEATURE_CALLS.items():
        assert {method for method, _type in calls} <= methods, feature
        assert all(scope.count(".") >= 2 for scope in scopes_of(calls)), feature


def test_nurture_adapters_add_the_list_and_sequence_scopes_and_scoring_alone_needs_no_deal_writes() -> None:
    scoring = set(required_scopes(Features(subscriptions=())))
    assert "crm.objects.owners.read" not in scoring and "crm.objects.deals.write" not in scoring
    assert "crm.objects.contacts.write" in scoring
    nurture = set(required_scopes(Features(subscriptions=(), nurture_lists=True, nurture_sequence=True)))
    assert nurture - scoring == {
        "crm.lists.read", "crm.lists.write", "automation.sequences.read", "automation.sequences.enrollments.write",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "url", "problem"),
    [
        ("Leadflow", "http://leadflow.example.com", "not an https URL"),
        ("Leadflow", "https://", "not an https URL"),
        (" Leadflow", URL, "whitespace"),
        ("x" * 201, URL, "at most 200"),
    ],
)
def test_a_name_or_url_hubspot_would_refuse_is_refused(name: str, url: str, problem: str) -> None:
    with pytest.raises(AppProjectError, match=problem):
        AppProject(name, url, Features(subscriptions=()))
