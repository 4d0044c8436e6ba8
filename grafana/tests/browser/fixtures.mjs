// What the harness server answers for each resource: the backend's own answers over the Go
// tests' fixed data set, kept as golden files by pkg/dsplugin's TestResourceAnswersAreGolden
// (`go test ./grafana/pkg/dsplugin -run ResourceAnswers -update` rewrites them).
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
