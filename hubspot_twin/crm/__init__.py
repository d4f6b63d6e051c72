"""The stateful CRM: the store and its indexes, HubSpot's write rules, batches, merges, search, and the change feed."""
