import type { DataSource } from '../../datasource';
import { CCQuery } from '../../types';

/** Props of the per-type parts of the query editor. */
export interface QueryFieldsProps {
  query: CCQuery;
  datasource: DataSource;
  /** Stores the changed query and runs it. */
  onChange: (query: CCQuery) => void;
}
