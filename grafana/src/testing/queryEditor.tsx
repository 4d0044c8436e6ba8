import { PanelData, QueryEditorProps } from '@grafana/data';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import type { DataSource } from '../datasource';
import { CCOptions, CCQuery } from '../types';

/**
 * Renders a query editor the way Grafana does: every change is fed back as the new query, and
 * `data` is the query's last answer. Returns the queries it handed back, the last one, the
 * onRunQuery mock and unmount.
 */
export function renderQueryEditor(
  Editor: React.ComponentType<QueryEditorProps<DataSource, CCQuery, CCOptions>>,
  datasource: DataSource,
  initial: CCQuery,
  data?: PanelData
) {
  const changes: CCQuery[] = [];
  const onRunQuery = jest.fn();
  function Stateful() {
    const [query, setQuery] = useState(initial);
    return (
      <Editor
        query={query}
        datasource={datasource}
        data={data}
        onRunQuery={onRunQuery}
        onChange={(next) => {
          changes.push(next);
          setQuery(next);
        }}
      />
    );
  }
  const { unmount } = render(<Stateful />);
  return { changes, onRunQuery, last: () => changes[changes.length - 1], unmount };
}

/** Opens a select by its test id and picks the option with this label. */
export async function pick(testId: string, label: string) {
  await userEvent.click(screen.getByTestId(`${testId}-input`));
  await userEvent.click(await screen.findByText(label, { selector: '[role="option"] *, [role="option"]' }));
}
