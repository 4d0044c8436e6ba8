import { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, RadioButtonGroup } from '@grafana/ui';
import React from 'react';

import type { DataSource } from '../datasource';
import { queryTypeOf, withQueryType } from '../query';
import { CCOptions, CCQuery, CCQueryType, QUERY_TYPE_OPTIONS } from '../types';
import { ActivityFields } from './query/ActivityFields';
import { EntitiesFields } from './query/EntitiesFields';
import { PerformanceFields } from './query/PerformanceFields';
import { PluginsFields } from './query/PluginsFields';
import { StatsFields } from './query/StatsFields';
import { QueryFieldsProps } from './query/types';

/** The fields of each query type; worklist has none, plugins only the "Collect now" action. */
const FIELDS: Partial<Record<CCQueryType, React.ComponentType<QueryFieldsProps>>> = {
  stats: StatsFields,
  activity: ActivityFields,
  performance: PerformanceFields,
  entities: EntitiesFields,
  plugins: PluginsFields,
};

/** The query editor: the query type, then that type's fields. Every change runs the query. */
export function QueryEditor({
  query,
  datasource,
  data,
  onChange,
  onRunQuery,
}: QueryEditorProps<DataSource, CCQuery, CCOptions>) {
  const queryType = queryTypeOf(query);
  const Fields = FIELDS[queryType];
  const update = (next: CCQuery) => {
    onChange(next);
    onRunQuery();
  };

  return (
    <div data-testid="cc-query-editor">
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={14}>
          <RadioButtonGroup<CCQueryType>
            id="cc-query-type"
            aria-label="Query type"
            options={QUERY_TYPE_OPTIONS}
            value={queryType}
            onChange={(next) => next !== queryType && update(withQueryType(query, next))}
          />
        </InlineField>
      </InlineFieldRow>
      {Fields && <Fields query={query} datasource={datasource} data={data} onChange={update} onRunQuery={onRunQuery} />}
    </div>
  );
}
