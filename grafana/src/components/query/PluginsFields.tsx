import { PanelData } from '@grafana/data';
import { Button, FieldValidationMessage, InlineField, InlineFieldRow, InlineLabel } from '@grafana/ui';
import React from 'react';

import { CollectRun } from '../../types';
import { QueryFieldsProps } from './types';
import { CollectState, useCollectNow } from './useCollectNow';

/**
 * The plugins the query last answered (the `name` field of its `plugins` frame), or undefined
 * before it answered.
 */
export function pluginNames(data: PanelData | undefined, refId: string): string[] | undefined {
  const frames = (data?.series ?? []).filter(
    (frame) => frame.name === 'plugins' && (!frame.refId || frame.refId === refId)
  );
  if (frames.length === 0) {
    return undefined;
  }
  const names = frames.flatMap((frame) => frame.fields.find((field) => field.name === 'name')?.values ?? []);
  return [...new Set(names.filter((name): name is string => typeof name === 'string' && name !== ''))];
}

/** One line on a run: its state, and once it succeeded, what it stored of this tenant. */
function describeRun(run: CollectRun): string {
  switch (run.state) {
    case 'queued':
      return 'Queued…';
    case 'running':
      return 'Running…';
    case 'succeeded':
      return `Succeeded: ${run.items} ${run.items === 1 ? 'item' : 'items'} of this tenant stored`;
    case 'failed':
      return 'Failed';
  }
}

/** The error to show under a plugin's button: the refusal, or why its run failed. */
function problemOf(state?: CollectState): string | undefined {
  if (state?.error) {
    return state.error;
  }
  return state?.run?.state === 'failed' ? `The run failed: ${state.run.error || 'no reason given'}` : undefined;
}

/**
 * A `plugins` query has no fields. Its editor offers "Collect now" for each plugin the query
 * listed: the run's state shows beside the button until it ends, then the query runs again.
 */
export function PluginsFields({ query, datasource, data, onRunQuery }: QueryFieldsProps) {
  const { states, start } = useCollectNow(datasource, onRunQuery);
  const names = pluginNames(data, query.refId);
  if (!names || names.length === 0) {
    return (
      <InlineFieldRow>
        <InlineLabel width="auto" transparent data-testid="cc-collect-none">
          {names
            ? 'commandcenter runs no collector plugins.'
            : 'Collect now: run the query to list the plugins to collect from.'}
        </InlineLabel>
      </InlineFieldRow>
    );
  }
  return (
    <>
      {names.map((name) => {
        const state = states[name];
        const problem = problemOf(state);
        return (
          <InlineFieldRow key={name}>
            {/* InlineField hands its own disabled to its child, overriding the button's. */}
            <InlineField
              label={name}
              labelWidth={20}
              tooltip="Ask commandcenter to collect from this plugin now, instead of at its next scheduled run. The data source's token needs the admin scope."
              disabled={state?.busy}
            >
              <Button data-testid={`cc-collect-${name}`} variant="secondary" icon="sync" onClick={() => start(name)}>
                Collect now
              </Button>
            </InlineField>
            {state?.run && (
              <InlineLabel width="auto" transparent data-testid={`cc-collect-status-${name}`}>
                {describeRun(state.run)}
              </InlineLabel>
            )}
            {problem && (
              <div data-testid={`cc-collect-error-${name}`}>
                <FieldValidationMessage horizontal>{problem}</FieldValidationMessage>
              </div>
            )}
          </InlineFieldRow>
        );
      })}
    </>
  );
}
