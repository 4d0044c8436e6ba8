import React from 'react';

import { withField } from '../../query';
import { CCQuery, LIMITS } from '../../types';
import { NumberField } from './NumberField';

/** Props of LimitField. */
interface Props {
  query: CCQuery;
  onChange: (query: CCQuery) => void;
  /** The query type whose bounds apply. */
  limits: keyof typeof LIMITS;
  /** What is counted, newest first or not: "entries, newest first", "rows". */
  what: string;
}

/** The `limit` of an activity or entities query: a whole number within the backend's bounds. */
export function LimitField({ query, onChange, limits, what }: Props) {
  const { min, max, default: byDefault } = LIMITS[limits];
  return (
    <NumberField
      label="Limit"
      tooltip={`At most this many ${what} (${min}–${max})`}
      testId="cc-query-limit"
      min={min}
      max={max}
      integer
      placeholder={String(byDefault)}
      value={query.limit}
      onChange={(limit) => onChange(withField(query, 'limit', typeof limit === 'number' ? limit : undefined))}
    />
  );
}
