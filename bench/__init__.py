"""`leadflow bench`: Leadflow measured against the twin with HubSpot's limits, real Redis and PostgreSQL.

Sections (each a module with `run(report, quick)`): core, economy, intake, latency, rescore. See
docs/performance.md for the figures, the machine they came from and how to read them.
"""
