"""`rescore --all` on the in-memory HubSpot: the job chain, every contact scored, HubSpot's request floor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from app.sync.drain import DrainContext
from app.sync.hubspot.errors import TransientHubSpotError
from app.sync.pipeline import DrainReport
from app.sync.rescore import CompanyPages, RescoreContext, rescore_companies, rescore_contacts, start_rescore
from tests.integration.sync.conftest import MACHINERY, Portal

JOBS: dict[str, Callable[[RescoreContext, str, str | None], CompanyPages | DrainReport]] = {
    "rescore-companies": rescore_companies,
    "rescore-contacts": rescore_contacts,
}


@dataclass
class Chain:
    """A re-score run whose jobs are recorded when enqueued and run one after the other, as one worker would."""

    portal: Portal
    enqueued: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def context(self) -> RescoreContext:
        drain = self.portal.container.provide(DrainContext)
        runs = self.portal.container.rescore_runs()
        return RescoreContext(drain, runs, lambda name, run, after: self.enqueued.append((name, run, after)))

    def run(self, run_id: str) -> list[tuple[str, str, str | None]]:
        """Start the run and work its jobs off; return every job it enqueued."""
        start_rescore(self.context, run_id)
        done = 0
        while done < len(self.enqueued):
            name, run, after = self.enqueued[done]
            done += 1
            JOBS[name](self.context, run, after)
        return self.enqueued


def seed(portal: Portal, contacts: int, companies: int) -> list[str]:
    """Contacts nobody scored yet (a portal before its first re-score), spread over the companies."""
    hubspot = portal.hubspot
    company_ids = [hubspot.create("company", {"name": f"Co {n}", "country": "Germany", **MACHINERY})
                   for n in range(companies)]  # fmt: skip
    ids = []
    for n in range(contacts):
        contact_id = hubspot.create(
            "contact", {"email": f"c{n}@co.de", "hs_buying_role": "DECISION_MAKER", "country": "Austria"}
        )
        hubspot.associate("contact", contact_id, "company", company_ids[n % companies], primary=True)
        ids.append(contact_id)
    return ids


def test_a_run_lists_companies_then_chains_contact_jobs_and_sends_the_fewest_requests(portal: Portal) -> None:
    ids = seed(portal, contacts=520, companies=30)
    chain = Chain(portal)
    jobs = chain.run("run-1")
    cursors = [after for name, _run, after in jobs if name == "rescore-contacts"]
    assert [name for name, _, _ in jobs] == ["rescore-companies", "rescore-contacts", "rescore-contacts"]
    assert cursors[0] is None and cursors[1] is not None  # five pages per job: 500 contacts, then 20
    assert portal.hubspot.request_counts() == {
        ("count", "contact"): 1,
        ("count", "company"): 1,
        ("list_objects", "company"): 1,
        ("list_objects", "contact"): 6,  # the listing is the read: no batch read follows it
        ("update_objects", "contact"): 6,
    }
    assert {portal.contact(i)["leadflow_fit_score"] for i in ids} == {"90"}
    progress = portal.container.rescore_runs().progress("run-1")
    assert progress.finished and progress.finished_at is not None
    assert (progress.pages_listed, progress.pages_done, progress.contacts, progress.written) == (6, 6, 520, 520)
    assert portal.container.worklist.claimed_count() == 0

    portal.hubspot.calls.clear()
    Chain(portal).run("run-2")  # nothing changed since: the second run lists and writes nothing
    assert ("update_objects", "contact") not in portal.hubspot.request_counts()
    assert portal.container.rescore_runs().progress("run-2").written == 0


def test_a_page_that_fails_goes_back_to_the_drain_while_the_other_pages_are_scored(portal: Portal) -> None:
    ids = seed(portal, contacts=250, companies=5)
    portal.hubspot.fail_next("update_objects", TransientHubSpotError("batch-update contacts: 503"))
    with pytest.raises(TransientHubSpotError):
        Chain(portal).run("run")
    progress = portal.container.rescore_runs().progress("run")
    assert (progress.finished, progress.pages_done, progress.pages_failed, progress.written) == (True, 2, 1, 150)
    worklist = portal.container.worklist
    assert (worklist.dirty_count(), worklist.claimed_count()) == (100, 0)
    portal.drain()
    assert {portal.contact(i)["leadflow_fit_score"] for i in ids} == {"90"}
