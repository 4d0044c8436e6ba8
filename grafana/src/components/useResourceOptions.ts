import { SelectableValue } from '@grafana/data';
import { useEffect, useState } from 'react';

import type { DataSource } from '../datasource';
import { errorMessage } from '../resourceError';
import { CCResource } from '../types';

/** What a resource-fed select shows: the options, whether they are loading, an error. */
export interface ResourceOptionsState {
  options: Array<SelectableValue<string>>;
  loading: boolean;
  error?: string;
}

/**
 * Loads a resource's options from the data source, again whenever the resource or its
 * parameters change (e.g. `statuses` when the entity type changes).
 */
export function useResourceOptions(
  datasource: DataSource,
  resource: CCResource,
  params?: Record<string, string>
): ResourceOptionsState {
  const paramsKey = JSON.stringify(params ?? null);
  const requestKey = `${resource} ${paramsKey}`;
  // The answer to the last request, tagged with what was asked: a different tag means loading.
  const [answer, setAnswer] = useState<{ key: string; options: Array<SelectableValue<string>>; error?: string }>({
    key: '',
    options: [],
  });

  useEffect(() => {
    let current = true;
    datasource.getOptions(resource, JSON.parse(paramsKey) ?? undefined).then(
      (options) => current && setAnswer({ key: requestKey, options }),
      (error) => current && setAnswer({ key: requestKey, options: [], error: errorMessage(error) })
    );
    return () => {
      current = false;
    };
  }, [datasource, resource, paramsKey, requestKey]);

  if (answer.key !== requestKey) {
    return { options: [], loading: true };
  }
  return { options: answer.options, loading: false, error: answer.error };
}
