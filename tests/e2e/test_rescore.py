"""`rescore --all` streamed: the listing is the read, companies are listed into the cache first, pages chain on."""

from __future__ import annotations

from app.sync.rescore import RescoreContext, start_rescore
from tests.e2e.conftest import Pipeline

DACH_MACHINERY = {"industry": "MACHINERY", "numberofemployees": "250", "country": "Germany"}


def seed(pipeline: Pipeline, contacts: int, companies: int) -> list[str]:
    """Contacts spread over companies, scored by nobody yet (as a portal is before its first re-score)."""
    twin = pipeline.twin
    company_ids = [twin.create_object("companies", {**DACH_MACHINERY, "name": f"Co {n}"}) for n in range(companies)]
    ids = []
    for n in range(contacts):
        contact_id = twin.create_object(
            "contacts",
            {"email": f"c{n}@co{n % companies}.de", "hs_buying_role": "DECISION_MAKER", "country": "Germany"},
        )
        twin.associate("contacts", contact_id, "companies", company_ids[n % companies], primary=True)
        ids.append(contact_id)
    return ids


def test_a_full_rescore_lists_companies_then_contacts_and_writes_each_page_once(pipeline: Pipeline) -> None:
    ids = seed(pipeline, contacts=250, companies=40)
    pipeline.twin.reset_request_counts()
    progress = start_rescore(pipeline.container.provide(RescoreContext), "run-1")
    assert (progress.contacts_total, progress.companies_total, progress.finished) == (250, 40, False)
    pipeline.work()
    assert pipeline.twin.request_counts() == {
        "POST /crm/v3/objects/contacts/search": 1,
        "POST /crm/v3/objects/companies/search": 1,
        "GET /crm/v3/objects/companies": 1,  # 40 companies: one page, into the cache
        "GET /crm/v3/objects/contacts": 3,  # 250 contacts: the listing is the read
        "POST /crm/v3/objects/contacts/batch/update": 3,
    }
    assert {pipeline.contact(i)["leadflow_fit_score"] for i in ids} == {"90"}
    done = pipeline.container.rescore_runs().progress("run-1")
    assert done.finished and done.finished_at is not None
    assert (done.pages_listed, done.pages_done, done.contacts, done.written, done.busy) == (3, 3, 250, 250, 0)
    assert pipeline.container.worklist.claimed_count() == 0

    pipeline.twin.reset_request_counts()  # nothing changed since: the next run lists, and writes nothing
    start_rescore(pipeline.container.provide(RescoreContext), "run-2")
    pipeline.work()
    assert "POST /crm/v3/objects/contacts/batch/update" not in pipeline.twin.request_counts()
    assert pipeline.container.rescore_runs().progress("run-2").written == 0


def test_with_more_companies_than_contacts_the_companies_are_read_per_page_instead(pipeline: Pipeline) -> None:
    seed(pipeline, contacts=30, companies=60)  # 30 of the companies have no contact
    pipeline.twin.reset_request_counts()
    start_rescore(pipeline.container.provide(RescoreContext), "run")
    pipeline.work()
    counts = pipeline.twin.request_counts()
    assert "GET /crm/v3/objects/companies" not in counts
    assert counts["POST /crm/v3/objects/companies/batch/read"] == 1
    assert counts["GET /crm/v3/objects/contacts"] == 1


def test_a_contact_another_drain_holds_is_left_to_that_drain_and_scored_after_it(pipeline: Pipeline) -> None:
    ids = seed(pipeline, contacts=5, companies=1)
    worklist = pipeline.container.worklist
    now = pipeline.container.clock().timestamp()
    assert worklist.claim_ids([ids[0]], now, now + 900) == [ids[0]]  # a drain is working on it
    start_rescore(pipeline.container.provide(RescoreContext), "run")
    pipeline.work()
    progress = pipeline.container.rescore_runs().progress("run")
    assert (progress.finished, progress.contacts, progress.written, progress.busy) == (True, 5, 4, 1)
    assert "leadflow_fit_score" not in {k for k, v in pipeline.contact(ids[0]).items() if v}
    assert worklist.dirty_count() == 1, "marked dirty for the drain that holds it"
    worklist.release([ids[0]])  # that drain ends
    worklist.schedule("drain")
    pipeline.work()
    assert pipeline.contact(ids[0])["leadflow_fit_score"] == "90"
