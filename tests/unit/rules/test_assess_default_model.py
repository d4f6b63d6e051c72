"""The default model of SCORING-MODEL.md, assessed by hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.rules import EngagementEvent, Reason, ScoringModel, assess

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
EXAMPLE_CONTACT = {"email": "a@b.de", "country": "Germany"}
EXAMPLE_COMPANY = {"industry": "MACHINERY", "numberofemployees": "250"}
DEMO = EngagementEvent("demo_request", datetime(2026, 11, 20, 10, 0, tzinfo=UTC))


def test_example_input_of_the_contract_assesses_by_its_arithmetic(default_model: ScoringModel) -> None:
    # target-industry 25 + company-size 20 (250 employees, declared a number) + dach 15 = 60; one demo request
    # at the evaluation time = 10. The sample output line in SCORING-MODEL.md prints fit 40 and score 50, which
    # its own arithmetic does not give (company-size matches); the arithmetic is the contract.
    assessment = assess(default_model, EXAMPLE_CONTACT, EXAMPLE_COMPANY, [DEMO], NOW)
    assert (assessment.fit, assessment.engagement, assessment.score) == (60, 10, 70)
    assert (assessment.grade, assessment.stage, assessment.blocked) == ("B3", None, ())
    assert assessment.model == "default-2026-12"
    assert assessment.reasons == (
        Reason("target-industry", "Target industry", 25),
        Reason("company-size", "50 to 1000 employees", 20),
        Reason("dach", "DACH market", 15),
        Reason("demo_request", "Demo request", 10, count=1),
    )


def test_a_company_size_that_is_not_a_number_does_not_match(default_model: ScoringModel) -> None:
    company = {"industry": "MACHINERY", "numberofemployees": "about 250"}
    assessment = assess(default_model, EXAMPLE_CONTACT, company, [DEMO], NOW)
    assert (assessment.fit, assessment.engagement, assessment.score, assessment.grade) == (40, 10, 50, "B3")


def test_free_mail_address_subtracts_thirty_points(default_model: ScoringModel) -> None:
    contact = {"email": "max@gmail.com", "hs_buying_role": "DECISION_MAKER", "country": "Austria"}
    assessment = assess(default_model, contact, EXAMPLE_COMPANY, [], NOW)
    assert assessment.fit == 25 + 20 + 30 + 15 - 30
    assert Reason("free-mail", "Free-mail address", -30) in assessment.reasons


def test_fit_never_falls_below_zero(default_model: ScoringModel) -> None:
    assessment = assess(default_model, {"email": "x@yahoo.de"}, {}, [], NOW)
    assert assessment.fit == 0
    assert assessment.reasons == (Reason("free-mail", "Free-mail address", -30),)


def test_a_contact_without_company_is_assessed_on_its_own_properties(default_model: ScoringModel) -> None:
    assessment = assess(default_model, {"country": "Switzerland"}, {}, [], NOW)
    assert (assessment.fit, assessment.engagement, assessment.grade) == (15, 0, "D4")


def test_a_decision_maker_in_a_target_company_is_an_a_fit(default_model: ScoringModel) -> None:
    contact = {"hs_buying_role": "BUDGET_HOLDER", "country": "Germany", "email": "ceo@acme.de"}
    assessment = assess(default_model, contact, EXAMPLE_COMPANY, [], NOW)
    assert (assessment.fit, assessment.grade) == (90, "A4")


def test_whitepaper_downloads_decay_with_a_half_life_of_90_days(default_model: ScoringModel) -> None:
    downloads = [EngagementEvent("whitepaper_download", NOW - timedelta(days=90))]
    assessment = assess(default_model, {}, {}, downloads, NOW)
    assert assessment.engagement == 3  # 5 × 0.5 = 2.5, rounded half up
    assert assessment.reasons == (Reason("whitepaper_download", "Whitepaper download", 3, 1, decayed=True),)


def test_whitepaper_downloads_are_capped_at_fifteen(default_model: ScoringModel) -> None:
    downloads = [EngagementEvent("whitepaper_download", NOW) for _ in range(4)]
    assessment = assess(default_model, {}, {}, downloads, NOW)
    assert assessment.engagement == 15
    assert assessment.reasons == (Reason("whitepaper_download", "Whitepaper download", 15, 4, capped=True),)


def test_an_unsubscribe_outweighs_a_demo_request_but_engagement_stays_at_zero(default_model: ScoringModel) -> None:
    events = [EngagementEvent("unsubscribe", NOW), DEMO]
    assessment = assess(default_model, {}, {}, events, NOW)
    assert assessment.engagement == 0
    assert [reason.points for reason in assessment.reasons] == [-20, 10]


def test_sql_needs_fit_engagement_a_recent_demo_and_complete_contact_data(default_model: ScoringModel) -> None:
    contact = {
        "email": "ceo@acme.de",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "company": "Acme",
        "phone": "+49 30 123",
        "hs_buying_role": "DECISION_MAKER",
        "country": "Germany",
    }
    events = [DEMO, EngagementEvent("webinar_registration", NOW), *[EngagementEvent("newsletter_click", NOW)] * 6]
    assessment = assess(default_model, contact, EXAMPLE_COMPANY, events, NOW)
    assert (assessment.fit, assessment.engagement) == (90, 28)
    assert assessment.stage == "mql"
    events.append(EngagementEvent("pricing_page_view", NOW))
    assessment = assess(default_model, contact, EXAMPLE_COMPANY, events, NOW)
    assert (assessment.engagement, assessment.grade, assessment.stage, assessment.blocked) == (31, "A2", "sql", ())


def test_sql_without_a_phone_is_blocked_and_the_contact_is_an_mql(default_model: ScoringModel) -> None:
    contact = {"email": "ceo@acme.de", "hs_buying_role": "DECISION_MAKER", "country": "Germany", "phone": ""}
    events = [DEMO, DEMO, DEMO]
    assessment = assess(default_model, contact, EXAMPLE_COMPANY, events, NOW)
    assert (assessment.fit, assessment.engagement, assessment.stage) == (90, 30, "mql")
    assert [(b.stage, b.missing) for b in assessment.blocked] == [
        ("sql", ("firstname", "lastname", "company", "phone"))
    ]


def test_buying_roles_are_multiple_checkboxes_and_any_decision_role_counts(default_model: ScoringModel) -> None:
    def fit_of(role: str) -> int:
        return assess(default_model, {"hs_buying_role": role}, {}, [], NOW).fit

    assert fit_of("DECISION_MAKER;CHAMPION") == fit_of("DECISION_MAKER") == 30
    assert fit_of(" CHAMPION ; BUDGET_HOLDER ;") == 30  # parts trimmed, empty parts dropped
    assert fit_of("CHAMPION;INFLUENCER") == fit_of("") == fit_of(";") == 0
    reasons = assess(default_model, {"hs_buying_role": "DECISION_MAKER;CHAMPION"}, {}, [], NOW).reasons
    assert reasons == (Reason("decision-maker", "Decision maker or budget holder", 30),)
