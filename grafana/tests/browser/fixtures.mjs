// What the harness server answers for each resource: the backend's own answers over the Go
// tests' fixed data set, kept as golden files by pkg/dsplugin's TestResourceAnswersAreGolden
// (`go test ./grafana/pkg/dsplugin -run ResourceAnswers -update` rewrites them); collect-now,
// whose runs depend on time, by a fake of the backend's answers.
import { readFileSync } from 'node:fs';

const GOLDEN = new URL('../../pkg/dsplugin/testdata/resources/', import.meta.url);

/**
 * The answer to GET /resources/<name>[?entityType=<type>], as `[{ value, label }]`, or
 * undefined for a resource the backend does not have (it answers 404 and 400 for those).
 */
export function resourceAnswer(name, entityType) {
  const file = name === 'statuses' ? `statuses_${entityType}.json` : `${name}.json`;
  if (!/^[a-z_-]+\.json$/.test(file)) {
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(new URL(file, GOLDEN), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The runs asked for, by id: each read moves one on (queued → running → ended). */
const runs = new Map();

/** Why a run of the plugin platform fails. */
export const PLATFORM_RUN_ERROR = 'collect: platform API: 401 unauthenticated';

/**
 * The answer ({ status, body }) to collect-now, as the backend gives it: POST
 * plugins/<name>/collect is 202 with a queued run, each GET plugins/<name>/runs/<id> finds it a
 * step further, and it succeeds with 12 items, except the plugin platform's, which fails with
 * PLATFORM_RUN_ERROR. Undefined for any other resource.
 */
export function collectAnswer(method, name) {
  const collect = /^plugins\/([^/]+)\/collect$/.exec(name);
  if (collect && method === 'POST') {
    const run = {
      id: `run-${runs.size + 1}`,
      plugin: decodeURIComponent(collect[1]),
      trigger: 'manual',
      state: 'queued',
      queued_at: new Date().toISOString(),
      batches: 0,
      items: 0,
    };
    runs.set(run.id, run);
    return { status: 202, body: run };
  }
  const read = /^plugins\/([^/]+)\/runs\/([^/]+)$/.exec(name);
  const run = read && method === 'GET' ? runs.get(decodeURIComponent(read[2])) : undefined;
  if (!run) {
    return undefined;
  }
  if (run.state === 'queued') {
    run.state = 'running';
  } else if (run.state === 'running') {
    const ended =
      run.plugin === 'platform'
        ? { state: 'failed', error: PLATFORM_RUN_ERROR }
        : { state: 'succeeded', batches: 2, items: 12 };
    Object.assign(run, { finished_at: new Date().toISOString() }, ended);
  }
  return { status: 200, body: run };
}
