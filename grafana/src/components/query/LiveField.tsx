import { InlineField, InlineSwitch } from '@grafana/ui';
import React from 'react';

/** Props of LiveField. */
interface Props {
  value?: boolean;
  onChange: (live: boolean) => void;
}

/** The switch that makes an activity or stats query follow its stream channel. */
export function LiveField({ value, onChange }: Props) {
  return (
    <InlineField
      label="Live"
      labelWidth={14}
      tooltip="Follow the stream channel: the panel updates as commandcenter records changes"
    >
      <InlineSwitch
        id="cc-query-live"
        data-testid="cc-query-live"
        aria-label="Live"
        value={value ?? false}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
    </InlineField>
  );
}
