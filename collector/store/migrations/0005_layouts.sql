-- Saved layouts: a user's or team's homebase, per tenant. body is the
-- layout as the API keeps it (JSON); the columns are what is looked up,
-- kept unique, or changed by the store itself (the default flag, the
-- version, the time).
CREATE TABLE layouts (
  tenant     TEXT NOT NULL,
  id         TEXT NOT NULL,
  owner_kind TEXT NOT NULL,
  owner      TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body       TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);

-- At most one default layout per owner.
CREATE UNIQUE INDEX layouts_one_default ON layouts (tenant, owner_kind, owner) WHERE is_default = 1;
