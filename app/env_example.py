"""`leadflow env`: the settings a newcomer needs to run Leadflow against `leadflow twin`, as a `.env` file.

The repository's `.env.example` is this text (a test holds them equal). Leadflow reads the environment only
(app/settings.py), never a file: load it into the shell with `set -a; . ./.env; set +a`, so that what a
process runs with is what its environment says.
"""

from __future__ import annotations

ENV_EXAMPLE = """\
# Leadflow against the HubSpot twin, on one machine: every value matches `leadflow twin`'s defaults and the
# Procfile's web port (8000). Write it with `leadflow env > .env`, load it with `set -a; . ./.env; set +a`.
# For a real portal, replace the three HubSpot secrets with your private app's and drop HUBSPOT_API_BASE.
LEADFLOW_ENV=production
HUBSPOT_ACCESS_TOKEN=twin-token
HUBSPOT_CLIENT_SECRET=twin-client-secret
HUBSPOT_APP_ID=4242
HUBSPOT_API_BASE=http://127.0.0.1:8765
DATABASE_URL=sqlite:///leadflow.db
REDIS_URL=redis://127.0.0.1:6379/0
LOG_LEVEL=INFO
"""
