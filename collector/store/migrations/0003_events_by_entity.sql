-- Whether an entity already has an event of a kind (so a derived status
-- event does not repeat one its source sent), without scanning the
-- tenant's feed. Only events about an entity are indexed.
CREATE INDEX events_by_entity ON events (tenant, entity_type, entity_id, kind, occurred_at) WHERE entity_id <> '';
