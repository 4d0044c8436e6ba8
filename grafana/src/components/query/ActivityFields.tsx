import { InlineFieldRow } from '@grafana/ui';
import React from 'react';

import { withField } from '../../query';
import { LIMITS } from '../../types';
import { ResourceMultiSelect } from '../ResourceSelect';
import { LiveField } from './LiveField';
import { NumberField } from './NumberField';
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
      <NumberField
        label="Limit"
        tooltip={`At most this many entries, newest first (${LIMITS.activity.min}–${LIMITS.activity.max})`}
        testId="cc-query-limit"
        min={LIMITS.activity.min}
        max={LIMITS.activity.max}
        integer
        placeholder={String(LIMITS.activity.default)}
        value={query.limit}
        onChange={(limit) => onChange(withField(query, 'limit', limit))}
      />
      <LiveField value={query.live} onChange={(live) => onChange(withField(query, 'live', live))} />
    </InlineFieldRow>
  );
}
