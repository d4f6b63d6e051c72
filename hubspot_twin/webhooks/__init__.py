"""HubSpot's side of webhooks: a private app's subscriptions, the events the twin's changes make, and their
signed, batched, retried delivery."""
