"""The clock's periodic jobs: RQ cron jobs that JSON-speaking workers can run, at the configured intervals."""

from __future__ import annotations

import redis

from app.clock import CLOSE_WORK_EVERY_SECONDS, RECONCILE_EVERY_SECONDS, RETENTION_CRON, build_cron


def test_the_clock_runs_the_reconciler_the_sweep_the_sla_watch_touches_close_work_nurture_and_retention(
    redis_client: redis.Redis,
) -> None:
    scheduler = build_cron(
        redis_client,
        "leadflow-test",
        decay_sweep_seconds=120,
        sla_watch_seconds=30,
        touch_reconcile_seconds=600,
        nurture_due_seconds=240,
    )
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"app.sync.reconcile.reconcile", "app.sync.scoring.sweep.sweep_decay",
                         "app.sync.sla.watch.watch_sla", "app.sync.retention.apply_retention",
                         "app.sync.sla.reconcile.reconcile_touches",
                         "app.sync.handover.orphans.close_orphaned_tasks",
                         "app.sync.nurture.due.offer_due_steps"}  # fmt: skip
    assert jobs["app.sync.sla.watch.watch_sla"].interval == 30
    assert jobs["app.sync.sla.reconcile.reconcile_touches"].interval == 600
    assert jobs["app.sync.reconcile.reconcile"].interval == RECONCILE_EVERY_SECONDS
    assert jobs["app.sync.handover.orphans.close_orphaned_tasks"].interval == CLOSE_WORK_EVERY_SECONDS
    assert jobs["app.sync.scoring.sweep.sweep_decay"].interval == 120
    assert jobs["app.sync.nurture.due.offer_due_steps"].interval == 240
    assert jobs["app.sync.retention.apply_retention"].cron == RETENTION_CRON
    assert {job.queue_name for job in jobs.values()} == {"leadflow-test"}
