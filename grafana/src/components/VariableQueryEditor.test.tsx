import { setTemplateSrv } from '@grafana/runtime';
import { screen } from '@testing-library/react';

import { DataSource } from '../datasource';
import { testInstanceSettings } from '../testing/instanceSettings';
import { pick, renderQueryEditor } from '../testing/queryEditor';
import { FakeTemplateSrv } from '../testing/templateSrv';
import { CCQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

/** Renders the editor with a data source that knows two entity types. */
function renderEditor(initial: CCQuery) {
  setTemplateSrv(new FakeTemplateSrv());
  const datasource = new DataSource(testInstanceSettings());
  const getResource = jest.spyOn(datasource, 'getResource').mockResolvedValue([
    { value: 'campaign', label: 'Campaign' },
    { value: 'payment', label: 'Payment' },
  ]);
  return { getResource, ...renderQueryEditor(VariableQueryEditor, datasource, initial) };
}

describe('VariableQueryEditor', () => {
  it('stores the resource, and for statuses the entity type', async () => {
    const { changes, getResource, onRunQuery } = renderEditor({ refId: 'V' });
    expect(screen.queryByTestId('cc-variable-entity-type')).not.toBeInTheDocument();

    await pick('cc-variable-resource', 'Statuses');
    await pick('cc-variable-entity-type', 'Payment');
    await pick('cc-variable-resource', 'Campaigns');

    expect(changes).toEqual([
      { refId: 'V', queryType: 'variable', resource: 'statuses' },
      { refId: 'V', queryType: 'variable', resource: 'statuses', entityType: 'payment' },
      { refId: 'V', queryType: 'variable', resource: 'campaigns' },
    ]);
    expect(getResource).toHaveBeenCalledWith('entity-types', undefined);
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });
});
