import { SelectableValue } from '@grafana/data';
import { InlineField, MultiSelect, Select } from '@grafana/ui';
import React from 'react';

import type { DataSource } from '../datasource';
import { variableOptions } from '../templating';
import { CCResource } from '../types';
import { useResourceOptions } from './useResourceOptions';

/** The props both resource-fed selects share. */
interface CommonProps {
  datasource: DataSource;
  /** The resource whose values the select offers. */
  resource: CCResource;
  /** The resource's query parameters, e.g. `{ entityType }` for `statuses`. */
  params?: Record<string, string>;
  label: string;
  tooltip?: string;
  /** The base of the select's id and data-testid (the input's is `<testId>-input`). */
  testId: string;
  labelWidth?: number;
  width?: number;
  placeholder?: string;
}

/**
 * The resource's options, then the dashboard's variables, then any selected value that is in
 * neither (a custom value the user typed), so that it still shows.
 */
function withExtras(loaded: Array<SelectableValue<string>>, selected: string[]): Array<SelectableValue<string>> {
  const options = [...loaded, ...variableOptions()];
  const known = new Set(options.map((option) => option.value));
  const custom = selected.filter((value) => !known.has(value)).map((value) => ({ value, label: value }));
  return [...options, ...custom];
}

/** A single-valued select fed by a resource; custom values and `$variables` are allowed. */
export function ResourceSelect(
  props: CommonProps & { value?: string; onChange: (value: string | undefined) => void; clearable?: boolean }
) {
  const { datasource, resource, params, label, tooltip, testId, value, onChange } = props;
  const { options, loading, error } = useResourceOptions(datasource, resource, params);
  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={props.labelWidth ?? 14} invalid={!!error} error={error}>
      <Select<string>
        inputId={testId}
        data-testid={testId}
        aria-label={label}
        width={props.width ?? 30}
        isLoading={loading}
        isClearable={props.clearable}
        allowCustomValue
        placeholder={props.placeholder}
        options={withExtras(options, value ? [value] : [])}
        value={value ?? null}
        onChange={(selected: SelectableValue<string> | null) => onChange(selected?.value || undefined)}
      />
    </InlineField>
  );
}

/** A multi-valued select fed by a resource; custom values and `$variables` are allowed. */
export function ResourceMultiSelect(props: CommonProps & { value?: string[]; onChange: (values: string[]) => void }) {
  const { datasource, resource, params, label, tooltip, testId, value = [], onChange } = props;
  const { options, loading, error } = useResourceOptions(datasource, resource, params);
  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={props.labelWidth ?? 14} invalid={!!error} error={error}>
      <MultiSelect<string>
        inputId={testId}
        data-testid={testId}
        aria-label={label}
        width={props.width ?? 40}
        isLoading={loading}
        allowCustomValue
        placeholder={props.placeholder}
        options={withExtras(options, value)}
        value={value}
        onChange={(selected: Array<SelectableValue<string>>) =>
          onChange(selected.map((item) => item.value).filter((item): item is string => !!item))
        }
      />
    </InlineField>
  );
}
