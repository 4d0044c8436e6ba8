import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';

import type { DataSource } from './datasource';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { CCQuery, TYPE_DEFAULTS } from './types';

/** The `variable` query a template variable's stored query runs as. */
export function toVariableQuery(query: Partial<CCQuery>): CCQuery {
  const resource = query.resource ?? TYPE_DEFAULTS.variable.resource;
  return {
    refId: query.refId || 'variable',
    queryType: 'variable',
    resource,
    ...(resource === 'statuses' && query.entityType ? { entityType: query.entityType } : {}),
  };
}

/**
 * Template variables from a resource: the query runs on the backend as a `variable` query,
 * whose frame has the fields `text` and `value` that Grafana takes as the variable's options.
 */
export class CCVariableSupport extends CustomVariableSupport<DataSource, CCQuery> {
  /** The editor of a variable's query. */
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  /** Runs the variable's query through the data source (template variables applied). */
  query(request: DataQueryRequest<CCQuery>): Observable<DataQueryResponse> {
    return this.datasource.query({ ...request, targets: request.targets.map(toVariableQuery) });
  }
}
