"""HubSpot's endpoints, one blueprint per module, and the twin's own ``/_twin/`` control endpoints."""
