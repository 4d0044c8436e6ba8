import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { CCOptions, CCQuery, CCSecureOptions } from './types';

/**
 * The plugin: the data source with its settings page and query editor. The variable query
 * editor comes with the data source's variable support (CCVariableSupport, `variables`),
 * annotations with its `annotations` support.
 */
export const plugin = new DataSourcePlugin<DataSource, CCQuery, CCOptions, CCSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
