-- Event keys are unique per tenant and source: another tenant's event with a
-- key this tenant used is another event, not a duplicate (it was dropped,
-- and answered "duplicate", which told one tenant of another's keys).
-- The feed is newest first by when events occurred, not by storage order.
CREATE TABLE events_v2 (
  id          INTEGER PRIMARY KEY,
  source      TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  tenant      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  entity_type TEXT    NOT NULL DEFAULT '',
  entity_id   TEXT    NOT NULL DEFAULT '',
  occurred_at INTEGER NOT NULL,
  attrs       TEXT,
  UNIQUE (tenant, source, key)
);
INSERT INTO events_v2 (id, source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs)
  SELECT id, source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
-- Activity feed: newest occurred_at first per tenant (ties by id),
-- optionally of some kinds.
CREATE INDEX events_by_tenant ON events (tenant, occurred_at, id);
CREATE INDEX events_by_tenant_kind ON events (tenant, kind, occurred_at, id);
