import { InlineField, InlineFieldRow, InlineSwitch, RadioButtonGroup, Select } from '@grafana/ui';
import React from 'react';

import { withField } from '../../query';
import { PERFORMANCE_METRICS, PerformanceGroupBy, PerformanceMetric } from '../../types';
import { ResourceSelect } from '../ResourceSelect';
import { NumberField } from './NumberField';
import { QueryFieldsProps } from './types';

const METRIC_OPTIONS = PERFORMANCE_METRICS.map((metric) => ({ value: metric, label: metric }));

const GROUP_BY_OPTIONS: Array<{ value: PerformanceGroupBy; label: string }> = [
  { value: 'platform', label: 'Platform' },
  { value: 'campaign', label: 'Campaign' },
];

/** The fields of a `performance` query: metric, grouping, filters and the CPM cap. */
export function PerformanceFields({ query, datasource, onChange }: QueryFieldsProps) {
  return (
    <>
      <InlineFieldRow>
        <InlineField label="Metric" labelWidth={14}>
          <Select<PerformanceMetric>
            inputId="cc-query-metric"
            data-testid="cc-query-metric"
            aria-label="Metric"
            width={20}
            options={METRIC_OPTIONS}
            value={query.metric ?? 'views'}
            onChange={(selected) => selected.value && onChange(withField(query, 'metric', selected.value))}
          />
        </InlineField>
        <InlineField label="Group by" labelWidth={14}>
          <RadioButtonGroup<PerformanceGroupBy>
            id="cc-query-group-by"
            aria-label="Group by"
            options={GROUP_BY_OPTIONS}
            value={query.groupBy ?? 'platform'}
            onChange={(groupBy) => onChange(withField(query, 'groupBy', groupBy))}
          />
        </InlineField>
        <InlineField
          label="Summary"
          labelWidth={14}
          tooltip="A table: one row per platform or campaign over the whole time range, with every metric"
        >
          <InlineSwitch
            id="cc-query-summary"
            data-testid="cc-query-summary"
            aria-label="Summary"
            value={query.summary ?? false}
            onChange={(event) => onChange(withField(query, 'summary', event.currentTarget.checked || undefined))}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <ResourceSelect
          datasource={datasource}
          resource="platforms"
          label="Platform"
          testId="cc-query-platform"
          placeholder="All platforms"
          clearable
          value={query.platform}
          onChange={(platform) => onChange(withField(query, 'platform', platform))}
        />
        <ResourceSelect
          datasource={datasource}
          resource="campaigns"
          label="Campaign"
          testId="cc-query-campaign"
          placeholder="All campaigns"
          clearable
          value={query.campaign}
          onChange={(campaign) => onChange(withField(query, 'campaign', campaign))}
        />
        <NumberField
          label="Max CPM"
          tooltip="Keep only the platforms or campaigns whose cost per thousand impressions over the whole time range is at most this (a number or a $variable)"
          testId="cc-query-max-cpm"
          min={0}
          step={0.01}
          placeholder="no cap"
          allowVariable
          value={query.maxCpm}
          onChange={(maxCpm) => onChange(withField(query, 'maxCpm', maxCpm))}
        />
      </InlineFieldRow>
    </>
  );
}
