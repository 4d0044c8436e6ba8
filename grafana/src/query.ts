import { CCQuery, CCQueryType, DEFAULT_QUERY, QUERY_FIELDS, TYPE_DEFAULTS } from './types';

/** The DataQuery fields Grafana itself keeps on every query. */
const COMMON_FIELDS: ReadonlyArray<keyof CCQuery> = ['refId', 'hide', 'key', 'datasource'];

/** The query type of a query, `stats` when it has none yet. */
export function queryTypeOf(query: Partial<CCQuery>): CCQueryType {
  return query.queryType ?? DEFAULT_QUERY.queryType!;
}

/**
 * Keeps only the fields the query's type accepts: the backend gives a query with fields of
 * another type an error, and a query keeps them after the user switches its type.
 */
export function pickQueryFields(query: CCQuery): CCQuery {
  const queryType = queryTypeOf(query);
  const picked: Record<string, unknown> = { queryType };
  for (const field of [...COMMON_FIELDS, ...QUERY_FIELDS[queryType]]) {
    if (query[field] !== undefined) {
      picked[field] = query[field];
    }
  }
  return picked as unknown as CCQuery;
}

/** The query switched to another type: the new type's defaults, none of the old type's fields. */
export function withQueryType(query: CCQuery, queryType: CCQueryType): CCQuery {
  const common: Partial<CCQuery> = {};
  for (const field of COMMON_FIELDS) {
    if (query[field] !== undefined) {
      Object.assign(common, { [field]: query[field] });
    }
  }
  return { ...common, ...TYPE_DEFAULTS[queryType], queryType } as CCQuery;
}

/** Whether a query subscribes to a stream channel instead of asking the backend once. */
export function isLiveQuery(query: CCQuery): boolean {
  const queryType = queryTypeOf(query);
  return query.live === true && (queryType === 'activity' || queryType === 'stats');
}

/** The query with one field set; an undefined value or an empty list removes the field. */
export function withField<K extends keyof CCQuery>(query: CCQuery, field: K, value: CCQuery[K] | undefined): CCQuery {
  const next = { ...query };
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    delete next[field];
  } else {
    next[field] = value;
  }
  return next;
}

/** The stream channel path of a live query: `stats`, `activity` or `activity/<kind>/<kind>…`. */
export function streamPath(query: CCQuery): string {
  const queryType = queryTypeOf(query);
  const kinds = queryType === 'activity' ? (query.kinds ?? []) : [];
  return [queryType, ...kinds].join('/');
}
