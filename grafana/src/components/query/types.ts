import { PanelData } from '@grafana/data';

import type { DataSource } from '../../datasource';
import { CCQuery } from '../../types';

/** Props of the per-type parts of the query editor. */
export interface QueryFieldsProps {
  query: CCQuery;
  datasource: DataSource;
  /** Stores the changed query and runs it. */
  onChange: (query: CCQuery) => void;
  /** Runs the query again, unchanged. */
  onRunQuery: () => void;
  /** The query's last answer, when Grafana hands it to the editor. */
  data?: PanelData;
}
