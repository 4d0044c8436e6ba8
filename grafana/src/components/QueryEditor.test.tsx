import { setTemplateSrv } from '@grafana/runtime';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import { DataSource } from '../datasource';
import { testInstanceSettings } from '../testing/instanceSettings';
import { pick, renderQueryEditor } from '../testing/queryEditor';
import { FakeTemplateSrv } from '../testing/templateSrv';
import { CCQuery, ResourceOption } from '../types';
import { QueryEditor } from './QueryEditor';

/** What the mocked backend answers for each resource (statuses by entity type). */
const RESOURCES: Record<string, ResourceOption[]> = {
  kinds: [
    { value: 'video_published', label: 'Video published' },
    { value: 'payment_overdue', label: 'Payment overdue' },
  ],
  platforms: [
    { value: 'youtube', label: 'YouTube' },
    { value: 'tiktok', label: 'TikTok' },
  ],
  campaigns: [{ value: 'c-1', label: 'Spring launch' }],
  'entity-types': [
    { value: 'campaign', label: 'Campaign' },
    { value: 'payment', label: 'Payment' },
  ],
  'statuses:campaign': [{ value: 'active', label: 'Active' }],
  'statuses:payment': [
    { value: 'pending', label: 'Pending' },
    { value: 'overdue', label: 'Overdue' },
  ],
};

/** Renders the editor with a data source whose resources come from RESOURCES. */
function renderEditor(initial: CCQuery) {
  setTemplateSrv(new FakeTemplateSrv({ platform: 'youtube' }));
  const datasource = new DataSource(testInstanceSettings());
  const getResource = jest
    .spyOn(datasource, 'getResource')
    .mockImplementation(async (path: string, params?: Record<string, string>) =>
      path === 'statuses' ? RESOURCES[`statuses:${params?.entityType}`] : RESOURCES[path]
    );
  return { getResource, ...renderQueryEditor(QueryEditor, datasource, initial) };
}

describe('QueryEditor', () => {
  it('shows the live switch for stats and runs the query when it changes', async () => {
    const { last, onRunQuery } = renderEditor({ refId: 'A', queryType: 'stats' });
    await userEvent.click(screen.getByTestId('cc-query-live'));
    expect(last()).toEqual({ refId: 'A', queryType: 'stats', live: true });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it("switches type with the new type's defaults and none of the old fields", async () => {
    const { changes, onRunQuery } = renderEditor({ refId: 'A', queryType: 'stats', live: true, hide: false });
    await userEvent.click(screen.getByLabelText('Activity'));
    await userEvent.click(screen.getByLabelText('Performance'));
    await userEvent.click(screen.getByLabelText('Entities'));
    await userEvent.click(screen.getByLabelText('Worklist'));
    expect(changes).toEqual([
      { refId: 'A', hide: false, queryType: 'activity', limit: 100 },
      { refId: 'A', hide: false, queryType: 'performance', metric: 'views', groupBy: 'platform' },
      { refId: 'A', hide: false, queryType: 'entities', entityType: 'campaign', limit: 100 },
      { refId: 'A', hide: false, queryType: 'worklist' },
    ]);
    expect(onRunQuery).toHaveBeenCalledTimes(4);
    expect(screen.queryByTestId('cc-query-live')).not.toBeInTheDocument();
    expect(screen.queryByTestId('cc-query-limit')).not.toBeInTheDocument();
  });

  it('treats a query without a type as stats', () => {
    renderEditor({ refId: 'A' });
    expect(screen.getByLabelText('Stats')).toBeChecked();
  });

  it('offers the kinds from the kinds resource and stores the picked ones', async () => {
    const { last, getResource } = renderEditor({ refId: 'A', queryType: 'activity', limit: 100 });
    await pick('cc-query-kinds', 'Payment overdue');
    expect(last()).toEqual({ refId: 'A', queryType: 'activity', limit: 100, kinds: ['payment_overdue'] });
    await pick('cc-query-kinds', 'Video published');
    expect(last().kinds).toEqual(['payment_overdue', 'video_published']);
    expect(getResource).toHaveBeenCalledWith('kinds', undefined);
  });

  it('commits the limit on blur, clamped to 1–500', async () => {
    const { last, onRunQuery } = renderEditor({ refId: 'A', queryType: 'activity', limit: 100 });
    const limit = screen.getByTestId('cc-query-limit');
    await userEvent.clear(limit);
    await userEvent.type(limit, '900');
    expect(onRunQuery).not.toHaveBeenCalled();
    await userEvent.tab();
    expect(last()).toEqual({ refId: 'A', queryType: 'activity', limit: 500 });
    expect(limit).toHaveValue(500);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('rounds the limit to a whole number', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'entities', entityType: 'campaign', limit: 100 });
    const limit = screen.getByTestId('cc-query-limit');
    await userEvent.clear(limit);
    await userEvent.type(limit, '2.6{Enter}');
    expect(last()).toMatchObject({ limit: 3 });
  });

  it('fills platform and campaign from their resources and accepts a $variable', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'performance', metric: 'views', groupBy: 'platform' });
    await pick('cc-query-platform', 'TikTok');
    expect(last()).toMatchObject({ platform: 'tiktok' });
    await pick('cc-query-platform', '$platform');
    expect(last()).toMatchObject({ platform: '$platform' });
    await pick('cc-query-campaign', 'Spring launch');
    expect(last()).toEqual({
      refId: 'A',
      queryType: 'performance',
      metric: 'views',
      groupBy: 'platform',
      platform: '$platform',
      campaign: 'c-1',
    });
  });

  it('takes a custom platform typed by the user', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'performance' });
    await userEvent.type(screen.getByTestId('cc-query-platform-input'), 'instagram{enter}');
    expect(last()).toMatchObject({ platform: 'instagram' });
  });

  it('sets metric, grouping and the CPM cap', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'performance', metric: 'views', groupBy: 'platform' });
    await pick('cc-query-metric', 'cpm');
    await userEvent.click(screen.getByRole('radio', { name: 'Campaign' }));
    await userEvent.type(screen.getByTestId('cc-query-max-cpm'), '7.5{enter}');
    expect(last()).toEqual({ refId: 'A', queryType: 'performance', metric: 'cpm', groupBy: 'campaign', maxCpm: 7.5 });
  });

  it('takes a variable as the CPM cap, and turns the query into a summary', async () => {
    const { last } = renderEditor({ refId: 'A', queryType: 'performance', metric: 'cpm', groupBy: 'campaign' });
    await userEvent.type(screen.getByTestId('cc-query-max-cpm'), '$max_cpm{enter}');
    expect(last()).toMatchObject({ maxCpm: '$max_cpm' });
    await userEvent.click(screen.getByTestId('cc-query-summary'));
    expect(last()).toMatchObject({ maxCpm: '$max_cpm', summary: true });
    await userEvent.click(screen.getByTestId('cc-query-summary'));
    expect(last()).not.toHaveProperty('summary');
  });

  it('reloads the statuses when the entity type changes, clearing the picked ones', async () => {
    const { last, getResource } = renderEditor({ refId: 'A', queryType: 'entities', entityType: 'campaign' });
    await pick('cc-query-statuses', 'Active');
    expect(last()).toEqual({ refId: 'A', queryType: 'entities', entityType: 'campaign', statuses: ['active'] });
    expect(getResource).toHaveBeenCalledWith('statuses', { entityType: 'campaign' });

    await pick('cc-query-entity-type', 'Payment');
    expect(last()).toEqual({ refId: 'A', queryType: 'entities', entityType: 'payment' });
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('statuses', { entityType: 'payment' }));
    await pick('cc-query-statuses', 'Overdue');
    expect(last().statuses).toEqual(['overdue']);
  });

  it.each(['Worklist', 'Plugins'])('has no fields for %s', async (label) => {
    renderEditor({ refId: 'A', queryType: 'stats' });
    await userEvent.click(screen.getByLabelText(label));
    expect(screen.queryByTestId('cc-query-live')).not.toBeInTheDocument();
    expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
    expect(screen.queryByRole('spinbutton')).not.toBeInTheDocument();
  });

  it('shows a resource error on its select', async () => {
    setTemplateSrv(new FakeTemplateSrv());
    const datasource = new DataSource(testInstanceSettings());
    jest.spyOn(datasource, 'getResource').mockRejectedValue({ data: { message: 'commandcenter unreachable' } });
    render(
      <QueryEditor
        query={{ refId: 'A', queryType: 'activity' }}
        datasource={datasource}
        onChange={jest.fn()}
        onRunQuery={jest.fn()}
      />
    );
    expect(await screen.findByText('commandcenter unreachable')).toBeInTheDocument();
  });
});
