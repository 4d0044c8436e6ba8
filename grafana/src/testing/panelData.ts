import { createDataFrame, FieldType, getDefaultTimeRange, LoadingState, PanelData } from '@grafana/data';

/** The answer to a `plugins` query listing these plugins, as Grafana hands it to the query editor. */
export function pluginsPanelData(refId: string, names: string[]): PanelData {
  return {
    state: LoadingState.Done,
    series: [
      createDataFrame({ name: 'plugins', refId, fields: [{ name: 'name', type: FieldType.string, values: names }] }),
    ],
    timeRange: getDefaultTimeRange(),
  };
}
