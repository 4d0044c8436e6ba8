-- Event ids only ever grow: without AUTOINCREMENT, SQLite reuses the id of
-- the newest row once it is deleted (retention, a dropped stand-in), and a
-- live follower that remembers the last id it passed on (the Grafana
-- stream, ?since_id=) would skip the event that took it over.
CREATE TABLE events_v4 (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO events_v4 (id, source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs)
  SELECT id, source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs FROM events;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
CREATE INDEX events_by_tenant ON events (tenant, occurred_at, id);
CREATE INDEX events_by_tenant_kind ON events (tenant, kind, occurred_at, id);
CREATE INDEX events_sent_by_entity ON events (tenant, entity_type, entity_id, kind, occurred_at)
  WHERE entity_id <> '' AND key NOT GLOB 'state/*';
