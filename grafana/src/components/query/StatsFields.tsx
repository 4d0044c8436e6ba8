import { InlineFieldRow } from '@grafana/ui';
import React from 'react';

import { withField } from '../../query';
import { LiveField } from './LiveField';
import { QueryFieldsProps } from './types';

/** The fields of a `stats` query: only whether it is live. */
export function StatsFields({ query, onChange }: QueryFieldsProps) {
  return (
    <InlineFieldRow>
      <LiveField value={query.live} onChange={(live) => onChange(withField(query, 'live', live))} />
    </InlineFieldRow>
  );
}
