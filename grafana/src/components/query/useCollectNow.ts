import { useCallback, useEffect, useRef, useState } from 'react';

import type { DataSource } from '../../datasource';
import { errorMessage, retryAfterSeconds } from '../../resourceError';
import { COLLECT_POLL_MS, CollectRun } from '../../types';

/** Where "Collect now" of one plugin stands. */
export interface CollectState {
  /** The run asked for, as last read. */
  run?: CollectRun;
  /** Why asking for the run, or following it, failed. */
  error?: string;
  /** Asking, or the run has not ended: the button is disabled. */
  busy: boolean;
}

/** Whether a run has ended. */
export function runEnded(run: CollectRun): boolean {
  return run.state === 'succeeded' || run.state === 'failed';
}

/** What to tell the user when commandcenter refused to collect: a 429 says how long to wait. */
function refusal(error: unknown): string {
  const seconds = retryAfterSeconds(error);
  return seconds === undefined
    ? errorMessage(error)
    : `This plugin was asked to collect too often: try again in ${seconds} s.`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * "Collect now" for plugins: `start(plugin)` asks the data source to collect, then reads the
 * run every COLLECT_POLL_MS until it ends, and calls onEnded (which re-runs the query, so the
 * panel shows the run). Each plugin has its own state; following stops when the editor goes.
 */
export function useCollectNow(datasource: DataSource, onEnded: () => void) {
  const [states, setStates] = useState<Record<string, CollectState>>({});
  const mounted = useRef(false);
  const ended = useRef(onEnded);
  useEffect(() => {
    ended.current = onEnded;
  }, [onEnded]);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const start = useCallback(
    async (plugin: string) => {
      const set = (state: CollectState) => {
        if (mounted.current) {
          setStates((previous) => ({ ...previous, [plugin]: state }));
        }
      };
      set({ busy: true });
      let run: CollectRun;
      try {
        run = await datasource.collectNow(plugin);
      } catch (error) {
        set({ busy: false, error: refusal(error) });
        return;
      }
      set({ run, busy: !runEnded(run) });
      while (!runEnded(run)) {
        await sleep(COLLECT_POLL_MS);
        if (!mounted.current) {
          return;
        }
        try {
          run = await datasource.collectRun(plugin, run.id);
        } catch (error) {
          set({ run, busy: false, error: `Lost track of run ${run.id}: ${errorMessage(error)}` });
          return;
        }
        set({ run, busy: !runEnded(run) });
      }
      if (mounted.current) {
        ended.current();
      }
    },
    [datasource]
  );

  return { states, start };
}
