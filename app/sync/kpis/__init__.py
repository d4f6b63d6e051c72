"""The KPIs' shell: the one-off backfill of lead cycles from HubSpot's property histories."""
