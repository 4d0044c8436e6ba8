import { setTemplateSrv } from '@grafana/runtime';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import { DataSource } from '../datasource';
import { testInstanceSettings } from '../testing/instanceSettings';
import { pluginsPanelData } from '../testing/panelData';
import { pick, renderQueryEditor } from '../testing/queryEditor';
import { FakeTemplateSrv } from '../testing/templateSrv';
import { CCQuery, CollectRun, ResourceOption } from '../types';
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

  it.each(['Worklist', 'Plugins'])('has no query fields for %s', async (label) => {
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

/** A run of the plugin demo, as the collect and runs resources answer it. */
function demoRun(state: CollectRun['state'], extra: Partial<CollectRun> = {}): CollectRun {
  return {
    id: 'r1',
    plugin: 'demo',
    trigger: 'manual',
    state,
    queued_at: '2026-11-20T09:00:00Z',
    batches: 0,
    items: 0,
    ...extra,
  };
}

describe('QueryEditor: Collect now', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Renders a plugins query whose last answer listed these plugins (none: it has not answered). */
  function renderPlugins(names?: string[]) {
    setTemplateSrv(new FakeTemplateSrv());
    const datasource = new DataSource(testInstanceSettings());
    const postResource = jest.spyOn(datasource, 'postResource');
    const getResource = jest.spyOn(datasource, 'getResource');
    const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
    const data = names && pluginsPanelData('A', names);
    const rendered = renderQueryEditor(QueryEditor, datasource, { refId: 'A', queryType: 'plugins' }, data);
    return { user, postResource, getResource, ...rendered };
  }

  /** Lets a second pass, and what it started settle. */
  const second = () => act(() => jest.advanceTimersByTimeAsync(1000));

  it('asks for a run, reads it every second until it ends, then runs the query again', async () => {
    const { user, postResource, getResource, onRunQuery, changes } = renderPlugins(['demo', 'platform']);
    postResource.mockResolvedValue(demoRun('queued'));
    getResource
      .mockResolvedValueOnce(demoRun('running'))
      .mockResolvedValueOnce(demoRun('succeeded', { items: 12, batches: 2 }));
    const button = screen.getByTestId('cc-collect-demo');

    await user.click(button);
    expect(postResource).toHaveBeenCalledWith('plugins/demo/collect', undefined, { showErrorAlert: false });
    expect(await screen.findByTestId('cc-collect-status-demo')).toHaveTextContent(/^Queued/);
    expect(button).toBeDisabled();
    expect(screen.getByTestId('cc-collect-platform')).toBeEnabled();
    expect(getResource).not.toHaveBeenCalled();

    await second();
    expect(getResource).toHaveBeenCalledWith('plugins/demo/runs/r1', undefined, { showErrorAlert: false });
    expect(screen.getByTestId('cc-collect-status-demo')).toHaveTextContent('Running…');
    expect(button).toBeDisabled();
    expect(onRunQuery).not.toHaveBeenCalled();

    await second();
    expect(getResource).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId('cc-collect-status-demo')).toHaveTextContent('Succeeded: 12 items of this tenant stored');
    expect(button).toBeEnabled();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('cc-collect-error-demo')).not.toBeInTheDocument();

    // Done: no more reads, and the query itself never changed.
    await second();
    await second();
    expect(getResource).toHaveBeenCalledTimes(2);
    expect(changes).toEqual([]);
  });

  it('shows why a run failed, and runs the query again', async () => {
    const { user, postResource, getResource, onRunQuery } = renderPlugins(['demo']);
    postResource.mockResolvedValue(demoRun('running'));
    getResource.mockResolvedValue(demoRun('failed', { error: 'collect: platform API: 401 unauthenticated' }));
    await user.click(screen.getByTestId('cc-collect-demo'));
    await second();
    expect(screen.getByTestId('cc-collect-status-demo')).toHaveTextContent('Failed');
    expect(screen.getByTestId('cc-collect-error-demo')).toHaveTextContent(
      'The run failed: collect: platform API: 401 unauthenticated'
    );
    expect(screen.getByTestId('cc-collect-demo')).toBeEnabled();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it("says plainly that the data source's token needs the admin scope", async () => {
    const { user, postResource, getResource, onRunQuery } = renderPlugins(['demo']);
    const message =
      "The datasource's API token needs the admin scope to collect now (403 forbidden: this needs the admin scope).";
    postResource.mockRejectedValue({ status: 403, data: { error: message } });
    await user.click(screen.getByTestId('cc-collect-demo'));
    expect(await screen.findByTestId('cc-collect-error-demo')).toHaveTextContent(message);
    expect(screen.getByTestId('cc-collect-demo')).toBeEnabled();
    expect(screen.queryByTestId('cc-collect-status-demo')).not.toBeInTheDocument();
    await second();
    expect(getResource).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('says how long to wait when the plugin was asked too often', async () => {
    const { user, postResource } = renderPlugins(['demo']);
    postResource.mockRejectedValue({
      status: 429,
      data: {
        message: 'Plugin "demo" was asked to collect too often: try again in 7 s (429 rate_limited).',
        retryAfter: 7,
      },
    });
    await user.click(screen.getByTestId('cc-collect-demo'));
    expect(await screen.findByTestId('cc-collect-error-demo')).toHaveTextContent(
      'This plugin was asked to collect too often: try again in 7 s.'
    );
    expect(screen.getByTestId('cc-collect-demo')).toBeEnabled();
  });

  it('says when it lost track of a run', async () => {
    const { user, postResource, getResource, onRunQuery } = renderPlugins(['demo']);
    postResource.mockResolvedValue(demoRun('queued'));
    getResource.mockRejectedValue({ status: 404, data: { error: 'Plugin "demo" has no recent run "r1".' } });
    await user.click(screen.getByTestId('cc-collect-demo'));
    await second();
    expect(screen.getByTestId('cc-collect-error-demo')).toHaveTextContent(
      'Lost track of run r1: Plugin "demo" has no recent run "r1".'
    );
    expect(screen.getByTestId('cc-collect-demo')).toBeEnabled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('stops reading the run when the editor goes away', async () => {
    const { user, postResource, getResource, onRunQuery, unmount } = renderPlugins(['demo']);
    postResource.mockResolvedValue(demoRun('queued'));
    await user.click(screen.getByTestId('cc-collect-demo'));
    unmount();
    await second();
    await second();
    expect(getResource).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('asks to run the query before it lists the plugins', () => {
    renderPlugins();
    expect(screen.getByTestId('cc-collect-none')).toHaveTextContent('run the query to list the plugins');
    expect(screen.queryByRole('button', { name: /Collect now/ })).not.toBeInTheDocument();
  });

  it('says when commandcenter runs no plugins', () => {
    renderPlugins([]);
    expect(screen.getByTestId('cc-collect-none')).toHaveTextContent('commandcenter runs no collector plugins.');
  });
});
