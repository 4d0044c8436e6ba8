import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** The kinds of query the backend answers (README "Queries"). */
export type CCQueryType = 'stats' | 'activity' | 'worklist' | 'performance' | 'entities' | 'plugins' | 'variable';

/** The metrics a `performance` query can chart. */
export type PerformanceMetric = 'impressions' | 'views' | 'clicks' | 'cost' | 'revenue' | 'cpm' | 'ctr' | 'roi';

/** How a `performance` query splits its series. */
export type PerformanceGroupBy = 'platform' | 'campaign';

/** The resources the backend serves under `/resources/<name>`, each as `[{value, label}]`. */
export type CCResource = 'tenants' | 'platforms' | 'campaigns' | 'influencers' | 'kinds' | 'entity-types' | 'statuses';

/** One entry of a resource answer. */
export interface ResourceOption {
  value: string;
  label?: string;
}

/**
 * The query model sent to the backend. Every query has `refId` and `queryType`; the other
 * fields belong to one or more query types (see QUERY_FIELDS).
 */
export interface CCQuery extends DataQuery {
  queryType?: CCQueryType;
  /** activity: only these kinds (empty: all). */
  kinds?: string[];
  /** activity (1–500) and entities (1–1000): the most rows to return. */
  limit?: number;
  /** performance: the metric to chart. */
  metric?: PerformanceMetric;
  /** performance: one series per platform or per campaign. */
  groupBy?: PerformanceGroupBy;
  /** performance: only this platform. */
  platform?: string;
  /** performance: only this campaign. */
  campaign?: string;
  /**
   * performance: keep only groups whose CPM over the whole time range is at most this; a
   * dashboard may give a template variable (`$max_cpm`), a number once interpolated.
   */
  maxCpm?: number | string;
  /** performance: one table row per group over the whole range, every metric, instead of a daily series. */
  summary?: boolean;
  /** entities: the entity type to list; variable: the entity type whose statuses to list. */
  entityType?: string;
  /** entities: only these statuses (empty: all). */
  statuses?: string[];
  /** variable: the resource whose values the variable takes. */
  resource?: CCResource;
  /** activity and stats: subscribe to the stream channel instead of querying once. */
  live?: boolean;
}

/** The fields each query type accepts besides refId and queryType. */
export const QUERY_FIELDS: Record<CCQueryType, ReadonlyArray<keyof CCQuery>> = {
  stats: ['live'],
  activity: ['kinds', 'limit', 'live'],
  worklist: [],
  performance: ['metric', 'groupBy', 'platform', 'campaign', 'maxCpm', 'summary'],
  entities: ['entityType', 'statuses', 'limit'],
  plugins: [],
  variable: ['resource', 'entityType'],
};

/** The query types a user picks in the query editor (`variable` has its own editor). */
export const QUERY_TYPE_OPTIONS: Array<{ value: CCQueryType; label: string; description: string }> = [
  { value: 'stats', label: 'Stats', description: 'Quick-stat cards in one wide row' },
  { value: 'activity', label: 'Activity', description: 'The activity feed, newest first' },
  { value: 'worklist', label: 'Worklist', description: 'What needs doing, most urgent first' },
  { value: 'performance', label: 'Performance', description: 'Daily time series per platform or campaign' },
  { value: 'entities', label: 'Entities', description: 'A table of campaigns, influencers, payments…' },
  { value: 'plugins', label: 'Plugins', description: 'Collector plugins and their health' },
];

/** The metrics of a performance query, in the order the editor offers them. */
export const PERFORMANCE_METRICS: PerformanceMetric[] = [
  'impressions',
  'views',
  'clicks',
  'cost',
  'revenue',
  'cpm',
  'ctr',
  'roi',
];

/** The limits the backend accepts for `limit`. */
export const LIMITS = {
  activity: { min: 1, max: 500, default: 100 },
  entities: { min: 1, max: 1000, default: 100 },
} as const;

/** The query a new panel starts with. */
export const DEFAULT_QUERY: Partial<CCQuery> = {
  queryType: 'stats',
};

/** The fields a query of each type starts with when the user switches to it. */
export const TYPE_DEFAULTS: Record<CCQueryType, Partial<CCQuery>> = {
  stats: {},
  activity: { limit: LIMITS.activity.default },
  worklist: {},
  performance: { metric: 'views', groupBy: 'platform' },
  entities: { entityType: 'campaign', limit: LIMITS.entities.default },
  plugins: {},
  variable: { resource: 'platforms' },
};

/** The states of a collect run: queued until the plugin takes it, running, then ended. */
export type CollectRunState = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * One Collect of a collector plugin, as the resources `plugins/<name>/collect` (POST) and
 * `plugins/<name>/runs/<id>` answer it (commandcenter's CollectRun). `batches` and `items`
 * count only what it stored of the data source's tenant.
 */
export interface CollectRun {
  id: string;
  plugin: string;
  trigger: 'schedule' | 'manual';
  state: CollectRunState;
  queued_at: string;
  started_at?: string;
  finished_at?: string;
  batches: number;
  items: number;
  /** Why a failed run failed. */
  error?: string;
}

/** How often the query editor reads a collect run until it ends, in milliseconds. */
export const COLLECT_POLL_MS = 1000;

/** Per data source settings stored in jsonData (README "Settings"). */
export interface CCOptions extends DataSourceJsonData {
  /** commandcenter's base URL, e.g. http://127.0.0.1:9464. */
  url?: string;
  /** Per-call timeout in seconds (default 30). */
  timeout?: number;
  /** Do not verify the server's certificate (testing only). */
  tlsSkipVerify?: boolean;
  /** The server name to verify when it differs from the URL's host. */
  serverName?: string;
  /** Verify the server against secureJsonData.tlsCACert. */
  tlsAuthWithCACert?: boolean;
  /** Present the client certificate tlsClientCert / tlsClientKey. */
  tlsAuth?: boolean;
}

/** Settings only the backend sees (secureJsonData). */
export interface CCSecureOptions {
  /** A `read` token from `commandcenter tokens create`. */
  apiToken?: string;
  /** PEM CA certificate. */
  tlsCACert?: string;
  /** PEM client certificate. */
  tlsClientCert?: string;
  /** PEM client key. */
  tlsClientKey?: string;
}

/** The default per-call timeout, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;
