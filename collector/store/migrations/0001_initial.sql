-- Times are Unix milliseconds (UTC); money is integer minor units + currency.

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  source      TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  tenant      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  entity_type TEXT    NOT NULL DEFAULT '',
  entity_id   TEXT    NOT NULL DEFAULT '',
  occurred_at INTEGER NOT NULL,
  attrs       TEXT,
  UNIQUE (source, key)
);
-- Activity feed: newest first per tenant, optionally of one kind.
CREATE INDEX events_by_tenant ON events (tenant, id);
CREATE INDEX events_by_tenant_kind ON events (tenant, kind, id);

CREATE TABLE entities (
  tenant       TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  name         TEXT    NOT NULL DEFAULT '',
  status       TEXT    NOT NULL,
  status_since INTEGER,
  campaign     TEXT    NOT NULL DEFAULT '',
  influencer   TEXT    NOT NULL DEFAULT '',
  platform     TEXT    NOT NULL DEFAULT '',
  due_at       INTEGER,
  amount_minor INTEGER,
  currency     TEXT    NOT NULL DEFAULT '',
  attrs        TEXT,
  source       TEXT    NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant, type, id)
) WITHOUT ROWID;
-- Counts by status and the open-item scans of the exporter and worklist.
CREATE INDEX entities_by_status ON entities (type, status, tenant);

CREATE TABLE daily_metrics (
  tenant        TEXT    NOT NULL,
  campaign      TEXT    NOT NULL,
  influencer    TEXT    NOT NULL DEFAULT '',
  video         TEXT    NOT NULL DEFAULT '',
  platform      TEXT    NOT NULL,
  day           TEXT    NOT NULL, -- YYYY-MM-DD, UTC
  impressions   INTEGER NOT NULL DEFAULT 0,
  views         INTEGER NOT NULL DEFAULT 0,
  clicks        INTEGER NOT NULL DEFAULT 0,
  likes         INTEGER NOT NULL DEFAULT 0,
  comments      INTEGER NOT NULL DEFAULT 0,
  shares        INTEGER NOT NULL DEFAULT 0,
  cost_minor    INTEGER NOT NULL DEFAULT 0,
  revenue_minor INTEGER NOT NULL DEFAULT 0,
  currency      TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, campaign, influencer, video, platform, day)
) WITHOUT ROWID;
-- Finds a day's rows by platform and campaign (rollup upkeep, daily views)
-- without touching the table.
CREATE INDEX daily_metrics_by_day ON daily_metrics (
  tenant, day, platform, campaign, currency,
  impressions, views, clicks, likes, comments, shares, cost_minor, revenue_minor
);
-- Video milestones sum views per video.
CREATE INDEX daily_metrics_by_video ON daily_metrics (tenant, video, views) WHERE video <> '';

-- Daily metrics summed over influencers and videos, kept current for the
-- (tenant, day, platform, campaign) keys each batch touches. The performance
-- aggregate reads only its covering index, so a 30-day query reads
-- days x platforms x campaigns entries, not every influencer's row.
CREATE TABLE daily_rollup (
  tenant        TEXT    NOT NULL,
  day           TEXT    NOT NULL,
  platform      TEXT    NOT NULL,
  campaign      TEXT    NOT NULL,
  currency      TEXT    NOT NULL,
  impressions   INTEGER NOT NULL,
  views         INTEGER NOT NULL,
  clicks        INTEGER NOT NULL,
  likes         INTEGER NOT NULL,
  comments      INTEGER NOT NULL,
  shares        INTEGER NOT NULL,
  cost_minor    INTEGER NOT NULL,
  revenue_minor INTEGER NOT NULL
);
CREATE INDEX daily_rollup_performance ON daily_rollup (
  tenant, day, platform, campaign, currency,
  impressions, views, clicks, likes, comments, shares, cost_minor, revenue_minor
);

-- Per campaign and platform totals over all days, recomputed for the
-- campaigns a batch touches, so /metrics and milestones need not scan
-- daily_metrics.
CREATE TABLE campaign_totals (
  tenant        TEXT    NOT NULL,
  campaign      TEXT    NOT NULL,
  platform      TEXT    NOT NULL,
  currency      TEXT    NOT NULL,
  impressions   INTEGER NOT NULL,
  views         INTEGER NOT NULL,
  clicks        INTEGER NOT NULL,
  engagements   INTEGER NOT NULL, -- likes + comments + shares
  cost_minor    INTEGER NOT NULL,
  revenue_minor INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant, campaign, platform, currency)
) WITHOUT ROWID;

-- Scraper activity per target, kept as counters so /metrics need not scan events.
CREATE TABLE scraper_stats (
  tenant           TEXT    NOT NULL,
  target           TEXT    NOT NULL,
  runs_ok          INTEGER NOT NULL DEFAULT 0,
  runs_failed      INTEGER NOT NULL DEFAULT 0,
  errors           INTEGER NOT NULL DEFAULT 0,
  selector_updates INTEGER NOT NULL DEFAULT 0,
  last_success_at  INTEGER,
  last_run_at      INTEGER,
  PRIMARY KEY (tenant, target)
) WITHOUT ROWID;

CREATE TABLE cursors (
  source     TEXT PRIMARY KEY,
  cursor     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  hash        BLOB    NOT NULL UNIQUE, -- SHA-256 of the secret; the secret is never stored
  tenant      TEXT    NOT NULL,
  scope       TEXT    NOT NULL,
  description TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER
);
