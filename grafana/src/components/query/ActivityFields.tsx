import { InlineFieldRow } from '@grafana/ui';
import React from 'react';

import { withField } from '../../query';
import { ResourceMultiSelect } from '../ResourceSelect';
import { LimitField } from './LimitField';
import { LiveField } from './LiveField';
import { QueryFieldsProps } from './types';

/** The fields of an `activity` query: kinds, limit and live. */
export function ActivityFields({ query, datasource, onChange }: QueryFieldsProps) {
  return (
    <InlineFieldRow>
      <ResourceMultiSelect
        datasource={datasource}
        resource="kinds"
        label="Kinds"
        tooltip="Only these kinds of activity; none selected shows every kind"
        testId="cc-query-kinds"
        placeholder="All kinds"
        value={query.kinds}
        onChange={(kinds) => onChange(withField(query, 'kinds', kinds))}
      />
      <LimitField query={query} onChange={onChange} limits="activity" what="entries, newest first" />
      <LiveField value={query.live} onChange={(live) => onChange(withField(query, 'live', live))} />
    </InlineFieldRow>
  );
}
