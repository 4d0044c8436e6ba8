-- The daily rollup becomes a table keyed as it was always built (one row per
-- tenant, day, platform, campaign and currency), without rowid: its primary
-- key is the covering index the performance aggregate reads, and each batch
-- adds its changes to the rows in place instead of recomputing them, one
-- B-tree write a row instead of three. daily_metrics_by_day, which served
-- the recompute and the daily views, goes: the rollup serves both.
CREATE TABLE daily_rollup_keyed (
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
  revenue_minor INTEGER NOT NULL,
  PRIMARY KEY (tenant, day, platform, campaign, currency)
) WITHOUT ROWID;
INSERT INTO daily_rollup_keyed SELECT * FROM daily_rollup;
DROP TABLE daily_rollup;
ALTER TABLE daily_rollup_keyed RENAME TO daily_rollup;
DROP INDEX daily_metrics_by_day;
