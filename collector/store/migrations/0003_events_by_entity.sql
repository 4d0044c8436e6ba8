-- Whether a source already sent an event of a kind about an entity (so a
-- derived status event does not repeat it), without scanning the tenant's
-- feed. Only events a source sent about an entity are indexed: the store's
-- own status events (keys state/...) need no lookup.
CREATE INDEX events_sent_by_entity ON events (tenant, entity_type, entity_id, kind, occurred_at)
  WHERE entity_id <> '' AND key NOT GLOB 'state/*';
