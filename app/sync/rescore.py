"""Re-scoring the whole portal (`leadflow rescore --all`), streamed page by page at HubSpot's request floor.

A run is a chain of jobs. Each lists a few pages of 100 objects *with* the properties Leadflow reads, so the
listing is the read: no batch read follows it.

1. When the model reads company properties and the portal has no more companies than contacts, the run first
   lists every company into the company cache (one request per 100 companies, instead of one company read per
   page of contacts).
2. Then each job lists a few pages of contacts, enqueues the next pages at once (so another worker lists and
   scores them meanwhile), claims each page's contacts like a drain (one another drain holds is left to that
   drain and marked dirty), scores them and writes what changed: one request per page for the listing, one for
   the write. Several pages per job, because a job's own cost (RQ forks a work horse for it, which opens its own
   connections) is about that of scoring a page.

Requests: ceil(contacts / 100) + ceil(companies / 100) + ceil(changed / 100), plus two searches to count.
A job holds at most CONTACT_PAGES_PER_JOB pages, so a worker's memory does not grow with the portal. The run's
progress is kept in Redis.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields

from redis import Redis
from rq import Retry

from app.ledger.store import Ledger
from app.sync.drain import DrainContext
from app.sync.hubspot.company_cache import CompanyCache
from app.sync.hubspot.gateway import HubSpotGateway, Properties
from app.sync.jobs import job
from app.sync.pipeline import DrainReport

PROGRESS_TTL = 7 * 24 * 3600
# Pages per job: each job costs a fork, fresh connections and RQ's bookkeeping (about as much CPU as scoring a
# page), so a job lists several pages. Companies are listed one after the other anyway (each page's cursor comes
# with the one before); a contact job holds its pages in memory, so their number bounds a worker's memory.
COMPANY_PAGES_PER_JOB = 20
CONTACT_PAGES_PER_JOB = 5
Enqueue = Callable[[str, str, "str | None"], None]  # job name ("rescore-companies", "rescore-contacts"), run, after


@dataclass(frozen=True)
class RescoreProgress:
    run_id: str
    contacts_total: int = 0
    companies_total: int = 0
    company_pages: int = 0
    pages_listed: int = 0
    pages_done: int = 0
    pages_failed: int = 0
    contacts: int = 0
    written: int = 0
    busy: int = 0  # contacts another drain held: left to it
    listed_all: bool = False
    started_at: float = 0.0
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.listed_all and self.pages_done + self.pages_failed >= self.pages_listed


class RescoreRuns:
    """The progress of re-score runs, kept in Redis (a hash per run, for a week)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def start(self, run_id: str, contacts: int, companies: int, now: float) -> None:
        key = self._key(run_id)
        self.redis.hset(key, mapping={"contacts_total": contacts, "companies_total": companies, "started_at": now})
        self.redis.expire(key, PROGRESS_TTL)

    def add(self, run_id: str, **counts: int) -> None:
        pipeline = self.redis.pipeline(transaction=True)
        for name, value in counts.items():
            pipeline.hincrby(self._key(run_id), name, value)
        pipeline.execute()

    def listed_all(self, run_id: str) -> None:
        self.redis.hset(self._key(run_id), "listed_all", 1)

    def finish_if_done(self, run_id: str, now: float) -> None:
        if self.progress(run_id).finished:
            self.redis.hsetnx(self._key(run_id), "finished_at", now)

    def progress(self, run_id: str) -> RescoreProgress:
        raw = {_text(k): _text(v) for k, v in self.redis.hgetall(self._key(run_id)).items()}
        ints = {name: int(raw.get(name, 0)) for name in _INT_FIELDS}
        finished_at = float(raw["finished_at"]) if "finished_at" in raw else None
        return RescoreProgress(
            run_id,
            **ints,
            listed_all=raw.get("listed_all") == "1",
            started_at=float(raw.get("started_at", 0.0)),
            finished_at=finished_at,
        )

    def _key(self, run_id: str) -> str:
        return f"{self.prefix}:rescore:{run_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


_INT_FIELDS = ("contacts_total", "companies_total", "company_pages", "pages_listed", "pages_done", "pages_failed",
               "contacts", "written", "busy")  # fmt: skip


@dataclass(frozen=True)
class RescoreContext:
    drain: DrainContext
    runs: RescoreRuns
    enqueue: Enqueue

    @property
    def gateway(self) -> HubSpotGateway:
        return self.drain.pipeline.gateway

    @property
    def ledger(self) -> Ledger:
        return self.drain.pipeline.ledger

    @property
    def cache(self) -> CompanyCache | None:
        return self.drain.pipeline.company_cache

    def now(self) -> float:
        return self.drain.clock().timestamp()


@dataclass(frozen=True)
class CompanyPages:
    run: str
    companies: int  # companies listed into the cache


@job("rescore-companies", needs=RescoreContext, timeout=600, retry=Retry(max=2, interval=[5, 30]))
def rescore_companies(ctx: RescoreContext, run_id: str, after: str | None) -> CompanyPages:
    """List a few pages of companies into the company cache, for re-score run `run_id`."""
    return CompanyPages(run_id, cache_company_page(ctx, run_id, after))


# No retries: a failed page's contacts go back to the dirty set (the drain retries them); the chain has moved on.
@job("rescore-contacts", needs=RescoreContext, timeout=600)
def rescore_contacts(ctx: RescoreContext, run_id: str, after: str | None) -> DrainReport:
    """List and score a few pages of contacts, for re-score run `run_id`."""
    return rescore_contact_page(ctx, run_id, after)


def start_rescore(ctx: RescoreContext, run_id: str) -> RescoreProgress:
    """Count the portal, record the run and enqueue its first job; return its progress so far."""
    contacts = ctx.gateway.count("contact")
    wants_companies = bool(ctx.drain.pipeline.reads().company) and ctx.cache is not None
    companies = ctx.gateway.count("company") if wants_companies else 0
    ctx.runs.start(run_id, contacts, companies, ctx.now())
    first = "rescore-companies" if wants_companies and 0 < companies <= contacts else "rescore-contacts"
    ctx.enqueue(first, run_id, None)
    return ctx.runs.progress(run_id)


def cache_company_page(ctx: RescoreContext, run_id: str, after: str | None, pages: int = COMPANY_PAGES_PER_JOB) -> int:
    """List up to `pages` pages of companies into the company cache, one after the other (each page's cursor comes
    with the one before); enqueue the next job with the last page: more companies, or the contacts."""
    cache = ctx.cache
    assert cache is not None, "a re-score lists companies only with the company cache on"
    properties = sorted(ctx.drain.pipeline.reads().company)
    kept = 0
    for number in range(1, pages + 1):
        epoch = cache.epoch()
        page, after = ctx.gateway.list_objects("company", after, properties)
        if number == pages or not after:
            ctx.enqueue("rescore-companies" if after else "rescore-contacts", run_id, after)
        kept += cache.store_listed(page, properties, epoch)
        ctx.runs.add(run_id, company_pages=1)
        if not after:
            break
    return kept


def rescore_contact_page(
    ctx: RescoreContext, run_id: str, after: str | None, pages: int = CONTACT_PAGES_PER_JOB
) -> DrainReport:
    """List up to `pages` pages of contacts with their properties, hand the next page on, and score them.

    The pages are listed first and the next job is enqueued at once, so another worker lists and scores the pages
    after them meanwhile; a job holds at most `pages` pages. A page that fails to score is counted failed (its
    contacts go back to the drain) and the others are still scored; the job then fails with the first error.
    """
    watermark = ctx.ledger.signals.watermark()  # before the reads: signals that arrive later stay for the drain
    listed: list[Mapping[str, Properties]] = []
    properties = sorted(ctx.drain.pipeline.reads().contact)
    while len(listed) < pages:
        try:
            page, after = ctx.gateway.list_objects("contact", after, properties)
        except Exception:
            if not listed:
                raise
            break  # score what was listed; the next job lists this page again
        ctx.runs.add(run_id, pages_listed=1)
        listed.append(page)
        if not after:
            break
    if after:
        ctx.enqueue("rescore-contacts", run_id, after)
    else:
        ctx.runs.listed_all(run_id)
    reports: list[DrainReport] = []
    error: Exception | None = None
    for index, contacts in enumerate(listed):
        try:
            report = _score_page(ctx, list(contacts), contacts, watermark)
        except Exception as exc:  # this page's contacts went back to the drain; score the others
            ctx.runs.add(run_id, pages_failed=1)
            error = error or exc
            continue
        except BaseException:  # the job is stopped (its timeout): leave the pages not scored yet to the drain
            _leave_to_drain(ctx, run_id, listed[index + 1 :])
            ctx.runs.add(run_id, pages_failed=1)
            ctx.runs.finish_if_done(run_id, ctx.now())
            raise
        reports.append(report)
        done = {"pages_done": 1, "contacts": len(contacts), "written": report.written}
        done["busy"] = len(contacts) - report.claimed
        ctx.runs.add(run_id, **done)
    ctx.runs.finish_if_done(run_id, ctx.now())
    if error is not None:
        raise error
    return _combined(reports)


def _leave_to_drain(ctx: RescoreContext, run_id: str, pages: Sequence[Mapping[str, Properties]]) -> None:
    ids = [contact_id for page in pages for contact_id in page]
    if ids:
        ctx.drain.worklist.mark_dirty(ids, ctx.now())
        ctx.drain.worklist.schedule("drain")
    if pages:
        ctx.runs.add(run_id, pages_failed=len(pages))


def _combined(reports: Sequence[DrainReport]) -> DrainReport:
    """One report of several pages' reports: counts added, latencies joined."""
    if len(reports) == 1:
        return reports[0]
    names = [f.name for f in fields(DrainReport) if isinstance(getattr(reports[0], f.name), int)] if reports else []
    counts = {name: sum(getattr(report, name) for report in reports) for name in names}
    effects = sum((Counter(report.effects) for report in reports), Counter[str]())
    latencies = tuple(latency for report in reports for latency in report.write_latencies)
    return DrainReport(**counts, effects=dict(effects), write_latencies=latencies)


def _score_page(ctx: RescoreContext, ids: Sequence[str], page: Mapping[str, Properties], watermark: int) -> DrainReport:
    drain, now, holder = ctx.drain, ctx.now(), ctx.drain.holder()
    claimed = drain.worklist.claim_ids(ids, now, now + drain.claim_lease_seconds, holder=holder)
    taken = set(claimed)
    busy = [contact_id for contact_id in ids if contact_id not in taken]
    if busy:  # another drain holds them: it (or the next one) scores them
        drain.worklist.mark_dirty(busy, now)
        drain.worklist.schedule("drain")
    if not claimed:
        return DrainReport()
    try:
        report = drain.pipeline.run(claimed, read=page, watermark=watermark, occasion="rescore")
    except BaseException:
        drain.worklist.return_to_dirty(claimed, ctx.now(), holder=holder)
        drain.worklist.schedule("drain")
        raise
    drain.worklist.release(claimed, holder=holder)
    return report
