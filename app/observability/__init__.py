"""Operability: metrics kept in Redis and exposed to Prometheus, readiness, and the admin endpoints.

- `metrics`: counters and histograms in Redis hashes (one per metric), recorded from every process;
- `catalog`: the metrics Leadflow records; `recorders`: what the webhook view, the jobs and the HubSpot gateway
  record;
- `collector`: `/metrics` reads Redis, the queue, the worklist and the ledger at scrape time;
- `admin`: `/metrics` behind `Authorization: Bearer <ADMIN_TOKEN>`; `readiness`: `/readyz`;
- `secrets`: the settings' secret values, for the log formatter to mask; `web`: installs it all on the app.
"""
