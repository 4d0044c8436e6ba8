import { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, Select } from '@grafana/ui';
import React from 'react';

import type { DataSource } from '../datasource';
import { CCOptions, CCQuery, CCResource, TYPE_DEFAULTS } from '../types';
import { ResourceSelect } from './ResourceSelect';

/** The resources a variable can take its values from. */
const RESOURCE_OPTIONS: Array<{ value: CCResource; label: string; description: string }> = [
  { value: 'tenants', label: 'Tenants', description: "The token's own tenant" },
  { value: 'platforms', label: 'Platforms', description: 'Platforms with performance data' },
  { value: 'campaigns', label: 'Campaigns', description: 'Every campaign' },
  { value: 'influencers', label: 'Influencers', description: 'Every influencer' },
  { value: 'kinds', label: 'Activity kinds', description: 'The kinds of activity entries' },
  { value: 'entity-types', label: 'Entity types', description: 'The types an entities query lists' },
  { value: 'statuses', label: 'Statuses', description: 'The statuses of one entity type' },
];

/** The editor of a template variable's query: the resource, and for statuses the entity type. */
export function VariableQueryEditor({
  query,
  datasource,
  onChange,
  onRunQuery,
}: QueryEditorProps<DataSource, CCQuery, CCOptions, CCQuery>) {
  const resource = query.resource ?? TYPE_DEFAULTS.variable.resource;
  const update = (next: Partial<CCQuery>) => {
    onChange({ refId: query.refId, queryType: 'variable', resource, ...next });
    onRunQuery();
  };

  return (
    <InlineFieldRow data-testid="cc-variable-editor">
      <InlineField label="Values of" labelWidth={14}>
        <Select<CCResource>
          inputId="cc-variable-resource"
          data-testid="cc-variable-resource"
          aria-label="Values of"
          width={30}
          options={RESOURCE_OPTIONS}
          value={resource}
          onChange={(selected) => selected.value && update({ resource: selected.value })}
        />
      </InlineField>
      {resource === 'statuses' && (
        <ResourceSelect
          datasource={datasource}
          resource="entity-types"
          label="Entity type"
          testId="cc-variable-entity-type"
          width={24}
          value={query.entityType}
          onChange={(entityType) => update({ entityType })}
        />
      )}
    </InlineFieldRow>
  );
}
