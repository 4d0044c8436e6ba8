import { CoreApp, DataQueryRequest, DataQueryResponse, dateTime, LiveChannelScope, LoadingState } from '@grafana/data';
import { BackendSrv, GrafanaLiveSrv, setBackendSrv, setGrafanaLiveSrv, setTemplateSrv } from '@grafana/runtime';
import { lastValueFrom, Observable, of, toArray } from 'rxjs';

import { DataSource } from './datasource';
import { SEPARATOR } from './templating';
import { FakeTemplateSrv } from './testing/templateSrv';
import { TEST_UID, testInstanceSettings } from './testing/instanceSettings';
import { CCQuery } from './types';

/** A query request for these queries. */
function request(targets: CCQuery[]): DataQueryRequest<CCQuery> {
  const now = dateTime(1_700_000_000_000);
  return {
    requestId: 'r1',
    interval: '1m',
    intervalMs: 60_000,
    range: { from: now, to: now, raw: { from: 'now-1h', to: 'now' } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: CoreApp.Dashboard,
    startTime: 0,
  };
}

/** A backend whose /api/ds/query answers every query with an empty frame list. */
function fakeBackend() {
  const fetch = jest.fn((options: { data: { queries: CCQuery[] } }) =>
    of({
      status: 200,
      data: { results: Object.fromEntries(options.data.queries.map((q) => [q.refId, { status: 200, frames: [] }])) },
    })
  );
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return fetch;
}

/** A live service whose streams emit one response naming their channel. */
function fakeLive() {
  const getDataStream = jest.fn((options: { key?: string; addr: { path: string } }): Observable<DataQueryResponse> =>
    of({ key: options.key, data: [{ channel: options.addr.path }] })
  );
  setGrafanaLiveSrv({ getDataStream } as unknown as GrafanaLiveSrv);
  return getDataStream;
}

describe('DataSource', () => {
  let ds: DataSource;

  beforeEach(() => {
    setTemplateSrv(
      new FakeTemplateSrv({
        kinds: ['video_published', 'payment_overdue'],
        platform: 'youtube',
        type: 'payment',
        status: ['pending', 'overdue'],
        one: ['only'],
        platforms: ['tiktok', 'youtube'],
        every: ['$__all'],
      })
    );
    ds = new DataSource(testInstanceSettings());
  });

  it('starts new queries as stats queries', () => {
    expect(ds.getDefaultQuery(CoreApp.PanelEditor)).toEqual({ queryType: 'stats' });
  });

  it('offers the activity feed as the default annotation query', () => {
    expect(ds.annotations?.getDefaultQuery?.()).toEqual({ queryType: 'activity', limit: 100 });
  });

  it('does not run hidden queries', () => {
    expect(ds.filterQuery({ refId: 'A', queryType: 'stats', hide: true })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'stats' })).toBe(true);
  });

  describe('applyTemplateVariables', () => {
    it('expands multi-value variables in kinds into one entry per value', () => {
      const query: CCQuery = { refId: 'A', queryType: 'activity', kinds: ['$kinds', 'contract_signed'], limit: 50 };
      expect(ds.applyTemplateVariables(query, {})).toEqual({
        refId: 'A',
        queryType: 'activity',
        kinds: ['video_published', 'payment_overdue', 'contract_signed'],
        limit: 50,
      });
    });

    it('expands statuses and interpolates the entity type', () => {
      const query: CCQuery = {
        refId: 'B',
        queryType: 'entities',
        entityType: '$type',
        statuses: ['${status}', '$one'],
      };
      expect(ds.applyTemplateVariables(query, {})).toEqual({
        refId: 'B',
        queryType: 'entities',
        entityType: 'payment',
        statuses: ['pending', 'overdue', 'only'],
      });
    });

    it('interpolates platform and campaign, scoped variables first', () => {
      const query: CCQuery = {
        refId: 'C',
        queryType: 'performance',
        metric: 'cpm',
        groupBy: 'campaign',
        platform: '$platform',
        campaign: '$campaign',
        maxCpm: 12.5,
      };
      const scoped = {
        campaign: { text: 'Spring launch', value: 'c-42' },
        platform: { text: 'TikTok', value: 'tiktok' },
      };
      expect(ds.applyTemplateVariables(query, scoped)).toEqual({
        refId: 'C',
        queryType: 'performance',
        metric: 'cpm',
        groupBy: 'campaign',
        platform: 'tiktok',
        campaign: 'c-42',
        maxCpm: 12.5,
      });
    });

    it('reads All in a single-valued field as no filter, and joins several values for the backend to refuse', () => {
      const query: CCQuery = { refId: 'C', queryType: 'performance', platform: '$platforms', campaign: '$every' };
      expect(ds.applyTemplateVariables(query, {})).toEqual({
        refId: 'C',
        queryType: 'performance',
        platform: `tiktok${SEPARATOR}youtube`,
      });
    });

    it('interpolates a CPM cap variable into a number, and drops an empty one', () => {
      const vars = { cap: { text: '12.5', value: '12.5' }, none: { text: '', value: '' } };
      const query = (maxCpm: string): CCQuery => ({ refId: 'P', queryType: 'performance', maxCpm, summary: true });
      expect(ds.applyTemplateVariables(query('$cap'), vars)).toEqual({
        refId: 'P',
        queryType: 'performance',
        maxCpm: 12.5,
        summary: true,
      });
      expect(ds.applyTemplateVariables(query('$none'), vars)).toEqual({
        refId: 'P',
        queryType: 'performance',
        summary: true,
      });
      expect(ds.applyTemplateVariables(query('cheap'), vars).maxCpm).toBe('cheap');
    });

    it('reads All in a list field as no filter', () => {
      const query: CCQuery = { refId: 'A', queryType: 'activity', kinds: ['contract.signed', '$every'] };
      expect(ds.applyTemplateVariables(query, {})).toEqual({ refId: 'A', queryType: 'activity' });
    });

    it("drops fields of other query types and empty values, and keeps unknown variables' names", () => {
      const query: CCQuery = {
        refId: 'D',
        queryType: 'performance',
        kinds: ['x'],
        live: true,
        platform: '',
        campaign: '$nope',
      };
      expect(ds.applyTemplateVariables(query, {})).toEqual({ refId: 'D', queryType: 'performance', campaign: '$nope' });
    });

    it('gives a query without a type the stats type', () => {
      expect(ds.applyTemplateVariables({ refId: 'E' }, {})).toEqual({ refId: 'E', queryType: 'stats' });
    });
  });

  describe('query', () => {
    it('sends queries that are not live to the backend only', async () => {
      const fetch = fakeBackend();
      const getDataStream = fakeLive();
      await lastValueFrom(
        ds.query(
          request([
            { refId: 'A', queryType: 'activity', kinds: ['$kinds'], limit: 20 },
            { refId: 'B', queryType: 'worklist', live: true },
          ])
        )
      );
      expect(getDataStream).not.toHaveBeenCalled();
      expect(fetch).toHaveBeenCalledTimes(1);
      const [{ data }] = fetch.mock.calls[0];
      expect(data.queries.map(({ refId, queryType, kinds, limit }) => ({ refId, queryType, kinds, limit }))).toEqual([
        { refId: 'A', queryType: 'activity', kinds: ['video_published', 'payment_overdue'], limit: 20 },
        { refId: 'B', queryType: 'worklist', kinds: undefined, limit: undefined },
      ]);
    });

    it('routes live activity and stats queries to their stream channels and merges the rest', async () => {
      const fetch = fakeBackend();
      const getDataStream = fakeLive();
      const responses = await lastValueFrom(
        ds
          .query(
            request([
              { refId: 'A', queryType: 'activity', live: true },
              { refId: 'B', queryType: 'stats', live: true },
              { refId: 'C', queryType: 'performance', metric: 'views', groupBy: 'platform' },
              { refId: 'D', queryType: 'stats', live: true, hide: true },
            ])
          )
          .pipe(toArray())
      );

      expect(getDataStream.mock.calls.map(([options]) => options)).toEqual([
        {
          key: `${TEST_UID}-A`,
          addr: { scope: LiveChannelScope.DataSource, stream: TEST_UID, namespace: TEST_UID, path: 'activity' },
        },
        {
          key: `${TEST_UID}-B`,
          addr: { scope: LiveChannelScope.DataSource, stream: TEST_UID, namespace: TEST_UID, path: 'stats' },
        },
      ]);
      expect(fetch).toHaveBeenCalledTimes(1);
      expect(fetch.mock.calls[0][0].data.queries.map((q) => q.refId)).toEqual(['C']);
      expect(responses.map((r) => r.key ?? 'backend')).toEqual([`${TEST_UID}-A`, `${TEST_UID}-B`, 'backend']);
    });

    it("puts a live activity query's kinds, variables expanded, into its channel", async () => {
      fakeBackend();
      const getDataStream = fakeLive();
      await lastValueFrom(
        ds.query(request([{ refId: 'K', queryType: 'activity', live: true, kinds: ['$kinds', 'contract.signed'] }]))
      );
      expect(getDataStream.mock.calls[0][0].addr.path).toBe('activity/video_published/payment_overdue/contract.signed');
    });

    it('answers a live query whose channel would be too long for Grafana Live with an error', async () => {
      fakeBackend();
      const getDataStream = fakeLive();
      const kinds = [
        'video.published',
        'video.submitted',
        'video.approved',
        'video.rejected',
        'video.scheduled',
        'payment.created',
        'payment.paid',
        'contract.sent',
        'contract.signed',
        'campaign.started',
      ];
      const [response] = await lastValueFrom(
        ds.query(request([{ refId: 'L', queryType: 'activity', live: true, kinds }])).pipe(toArray())
      );
      expect(getDataStream).not.toHaveBeenCalled();
      expect(response.state).toBe(LoadingState.Error);
      expect(response.errors?.[0].message).toMatch(/at most 160 characters.*choose fewer kinds/);
      expect(`ds/${TEST_UID}/activity/${kinds.join('/')}`.length).toBeGreaterThan(160);
    });

    it('answers a live query with a kind Grafana Live cannot carry with an error', async () => {
      fakeLive();
      const [response] = await lastValueFrom(
        ds.query(request([{ refId: 'X', queryType: 'activity', live: true, kinds: ['x.shop.sale€'] }])).pipe(toArray())
      );
      expect(response.errors?.[0].message).toMatch(/cannot be followed live/);
    });

    it('uses only the stream when every query is live', async () => {
      const fetch = fakeBackend();
      fakeLive();
      const responses = await lastValueFrom(
        ds.query(request([{ refId: 'S', queryType: 'stats', live: true }])).pipe(toArray())
      );
      expect(fetch).not.toHaveBeenCalled();
      expect(responses).toEqual([{ key: `${TEST_UID}-S`, data: [{ channel: 'stats' }] }]);
    });
  });

  describe('variables', () => {
    it('runs a variable query for the chosen resource and entity type', async () => {
      const fetch = fakeBackend();
      const variables = ds.variables as unknown as { query: (r: DataQueryRequest<CCQuery>) => Observable<unknown> };
      await lastValueFrom(
        variables.query(request([{ refId: 'V', resource: 'statuses', entityType: '$type', kinds: ['stale'] }]))
      );
      const [query] = fetch.mock.calls[0][0].data.queries;
      expect(query).toMatchObject({ refId: 'V', queryType: 'variable', resource: 'statuses', entityType: 'payment' });
      expect(query).not.toHaveProperty('kinds');
    });

    it('sends no entity type for resources other than statuses', async () => {
      const fetch = fakeBackend();
      const variables = ds.variables as unknown as { query: (r: DataQueryRequest<CCQuery>) => Observable<unknown> };
      await lastValueFrom(variables.query(request([{ refId: 'V', resource: 'campaigns', entityType: 'payment' }])));
      const [query] = fetch.mock.calls[0][0].data.queries;
      expect(query).toMatchObject({ refId: 'V', queryType: 'variable', resource: 'campaigns' });
      expect(query).not.toHaveProperty('entityType');
    });
  });

  describe('getOptions', () => {
    it('maps a resource answer to select options, the value standing in for a missing label', async () => {
      const getResource = jest
        .spyOn(ds, 'getResource')
        .mockResolvedValue([{ value: 'youtube', label: 'YouTube' }, { value: 'tiktok' }]);
      await expect(ds.getOptions('platforms')).resolves.toEqual([
        { value: 'youtube', label: 'YouTube' },
        { value: 'tiktok', label: 'tiktok' },
      ]);
      expect(getResource).toHaveBeenCalledWith('platforms', undefined);
    });

    it('interpolates the parameters and copes with a null answer', async () => {
      const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue(null);
      await expect(ds.getOptions('statuses', { entityType: '$type' })).resolves.toEqual([]);
      expect(getResource).toHaveBeenCalledWith('statuses', { entityType: 'payment' });
    });

    it('calls the resource URL of this data source', async () => {
      const fetch = jest.fn(() => of({ status: 200, data: [{ value: 'acme', label: 'Acme' }] }));
      setBackendSrv({ fetch } as unknown as BackendSrv);
      await expect(ds.getOptions('tenants')).resolves.toEqual([{ value: 'acme', label: 'Acme' }]);
      expect(fetch).toHaveBeenCalledWith(
        expect.objectContaining({ method: 'GET', url: `/api/datasources/uid/${TEST_UID}/resources/tenants` })
      );
    });
  });

  describe('collect now', () => {
    const run = { id: 'r1', plugin: 'my plugin', trigger: 'manual', state: 'queued', batches: 0, items: 0 };

    it("POSTs to the plugin's collect resource, leaving errors to the editor", async () => {
      const fetch = jest.fn(() => of({ status: 202, data: run }));
      setBackendSrv({ fetch } as unknown as BackendSrv);
      await expect(ds.collectNow('my plugin')).resolves.toEqual(run);
      expect(fetch).toHaveBeenCalledWith(
        expect.objectContaining({
          method: 'POST',
          url: `/api/datasources/uid/${TEST_UID}/resources/plugins/my%20plugin/collect`,
          showErrorAlert: false,
        })
      );
    });

    it("GETs a run from the plugin's runs resource", async () => {
      const fetch = jest.fn(() => of({ status: 200, data: { ...run, state: 'running' } }));
      setBackendSrv({ fetch } as unknown as BackendSrv);
      await expect(ds.collectRun('my plugin', 'r/1')).resolves.toMatchObject({ state: 'running' });
      expect(fetch).toHaveBeenCalledWith(
        expect.objectContaining({
          method: 'GET',
          url: `/api/datasources/uid/${TEST_UID}/resources/plugins/my%20plugin/runs/r%2F1`,
          showErrorAlert: false,
        })
      );
    });
  });
});
