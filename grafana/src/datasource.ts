import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  LiveChannelScope,
  LoadingState,
  ScopedVars,
  SelectableValue,
} from '@grafana/data';
import { DataSourceWithBackend, getGrafanaLiveSrv } from '@grafana/runtime';
import { merge, Observable, of } from 'rxjs';

import { isLiveQuery, pickQueryFields, streamPath } from './query';
import { interpolateList, interpolateNumber, interpolateValue } from './templating';
import { CCOptions, CCQuery, CCResource, CollectRun, DEFAULT_QUERY, LIMITS, ResourceOption } from './types';
import { CCVariableSupport } from './variables';

/** The longest channel Grafana Live accepts, and the characters of a channel's path. */
const MAX_CHANNEL_LENGTH = 160;
const CHANNEL_PATH = /^[A-Za-z0-9_\-.=/]+$/;

/**
 * The commandcenter data source. Queries run on the Go backend (`gpx_commandcenter`), except
 * live `activity` and `stats` queries, which subscribe to the stream channels
 * `ds/<uid>/activity` and `ds/<uid>/stats`.
 */
export class DataSource extends DataSourceWithBackend<CCQuery, CCOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<CCOptions>) {
    super(instanceSettings);
    // Any query can be an annotation query; the activity feed is the one made for it.
    this.annotations = {
      getDefaultQuery: () => ({ queryType: 'activity', limit: LIMITS.activity.default }),
    };
    this.variables = new CCVariableSupport(this);
  }

  /** The query a new panel starts with. */
  getDefaultQuery(_: CoreApp): Partial<CCQuery> {
    return DEFAULT_QUERY;
  }

  /** Hidden queries do not run. */
  filterQuery(query: CCQuery): boolean {
    return !query.hide;
  }

  /**
   * Keeps the fields of the query's type and interpolates its template variables; a
   * multi-value variable in `kinds` or `statuses` expands into one entry per value.
   */
  applyTemplateVariables(query: CCQuery, scopedVars: ScopedVars): CCQuery {
    const picked = pickQueryFields(query);
    const interpolated: Partial<CCQuery> = {
      maxCpm: interpolateNumber(picked.maxCpm, scopedVars),
      platform: interpolateValue(picked.platform, scopedVars),
      campaign: interpolateValue(picked.campaign, scopedVars),
      entityType: interpolateValue(picked.entityType, scopedVars),
      kinds: interpolateList(picked.kinds, scopedVars),
      statuses: interpolateList(picked.statuses, scopedVars),
    };
    const result: CCQuery = { ...picked };
    for (const [field, value] of Object.entries(interpolated)) {
      if (value !== undefined) {
        Object.assign(result, { [field]: value });
      } else {
        delete result[field as keyof CCQuery];
      }
    }
    return result;
  }

  /** Runs live queries on their stream channels and the others on the backend, merged. */
  query(request: DataQueryRequest<CCQuery>): Observable<DataQueryResponse> {
    const live = request.targets.filter((query) => isLiveQuery(query) && !query.hide);
    if (live.length === 0) {
      return super.query(request);
    }
    const streams = live.map((query) => this.liveStream(this.applyTemplateVariables(query, request.scopedVars)));
    const others = request.targets.filter((query) => !isLiveQuery(query));
    if (others.length > 0) {
      streams.push(super.query({ ...request, targets: others }));
    }
    return merge(...streams);
  }

  /**
   * The stream of a live `activity` or `stats` query. An activity query's kinds are part of
   * the channel (`activity/<kind>/<kind>`); its limit and time range do not apply: the
   * channel starts with the newest events and adds each new one.
   */
  private liveStream(query: CCQuery): Observable<DataQueryResponse> {
    const path = streamPath(query);
    const channel = `${LiveChannelScope.DataSource}/${this.uid}/${path}`;
    const problem =
      channel.length > MAX_CHANNEL_LENGTH
        ? `A live query follows at most ${MAX_CHANNEL_LENGTH} characters of channel, and these kinds make ${channel.length}: choose fewer kinds (none or All follows every kind).`
        : !CHANNEL_PATH.test(path)
          ? `Grafana Live channels allow only letters, digits and _ - . = /: "${path}" cannot be followed live.`
          : undefined;
    if (problem) {
      return of({
        key: `${this.uid}-${query.refId}`,
        state: LoadingState.Error,
        data: [],
        errors: [{ refId: query.refId, message: problem }],
      });
    }
    return getGrafanaLiveSrv().getDataStream({
      key: `${this.uid}-${query.refId}`,
      addr: {
        scope: LiveChannelScope.DataSource,
        stream: this.uid,
        // Grafana before 11 reads the data source's uid from `namespace`, later ones from `stream`.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        namespace: this.uid,
        path,
      },
    });
  }

  /**
   * The values of a resource (`/resources/<name>`) as select options. Parameters may name
   * template variables, e.g. `{ entityType: '$type' }` for `statuses`.
   */
  async getOptions(resource: CCResource, params?: Record<string, string>): Promise<Array<SelectableValue<string>>> {
    const interpolated = params
      ? Object.fromEntries(Object.entries(params).map(([key, value]) => [key, interpolateValue(value) ?? '']))
      : undefined;
    const items = await this.getResource<ResourceOption[] | null>(resource, interpolated);
    return (items ?? []).map(({ value, label }) => ({ value, label: label || value }));
  }

  /**
   * Asks commandcenter to collect from a plugin now (`POST /resources/plugins/<name>/collect`;
   * the data source's token needs the admin scope): the run it started, or the one queued or
   * under way that it joined. Errors are shown where the call was made, not as Grafana's alert.
   */
  collectNow(plugin: string): Promise<CollectRun> {
    return this.postResource<CollectRun>(`plugins/${encodeURIComponent(plugin)}/collect`, undefined, {
      showErrorAlert: false,
    });
  }

  /** One run of a plugin (`GET /resources/plugins/<name>/runs/<id>`). */
  collectRun(plugin: string, id: string): Promise<CollectRun> {
    return this.getResource<CollectRun>(
      `plugins/${encodeURIComponent(plugin)}/runs/${encodeURIComponent(id)}`,
      undefined,
      { showErrorAlert: false }
    );
  }
}
