import { InlineFieldRow } from '@grafana/ui';
import React from 'react';

import { withField } from '../../query';
import { ResourceMultiSelect, ResourceSelect } from '../ResourceSelect';
import { LimitField } from './LimitField';
import { QueryFieldsProps } from './types';

/** The fields of an `entities` query: entity type, statuses (of that type) and limit. */
export function EntitiesFields({ query, datasource, onChange }: QueryFieldsProps) {
  const { entityType } = query;
  return (
    <InlineFieldRow>
      <ResourceSelect
        datasource={datasource}
        resource="entity-types"
        label="Entity type"
        testId="cc-query-entity-type"
        width={24}
        value={entityType}
        // Statuses belong to one entity type: a new type starts with none selected.
        onChange={(next) => onChange(withField(withField(query, 'statuses', undefined), 'entityType', next))}
      />
      {entityType && (
        <ResourceMultiSelect
          // Remount on a new type so that no stale options of the old one show.
          key={entityType}
          datasource={datasource}
          resource="statuses"
          params={{ entityType }}
          label="Statuses"
          tooltip="Only entities in these statuses; none selected shows every status"
          testId="cc-query-statuses"
          placeholder="All statuses"
          value={query.statuses}
          onChange={(statuses) => onChange(withField(query, 'statuses', statuses))}
        />
      )}
      <LimitField query={query} onChange={onChange} limits="entities" what="rows" />
    </InlineFieldRow>
  );
}
