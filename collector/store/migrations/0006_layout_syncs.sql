-- The Grafana version of each layout's dashboard as layouts sync last
-- pushed it, per Grafana (target is its base URL): a dashboard whose
-- version in Grafana is another was edited there, and is not overwritten.
CREATE TABLE layout_syncs (
  tenant  TEXT NOT NULL,
  id      TEXT NOT NULL,
  target  TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (tenant, id, target)
);
