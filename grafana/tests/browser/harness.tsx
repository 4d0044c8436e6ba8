/**
 * The browser harness: the plugin's real ConfigEditor, QueryEditor and VariableQueryEditor
 * on one page, with a real DataSource whose resource calls go through a BackendSrv that
 * fetches from the test's HTTP server. The query editor gets, as its query's last answer, a
 * plugins frame listing the plugins demo and platform. What the editors hand back is kept on
 * `window` for the test to read.
 */
import { createTheme, DataSourceSettings, ThemeContext } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { from, Observable } from 'rxjs';

import { ConfigEditor } from '../../src/components/ConfigEditor';
import { QueryEditor } from '../../src/components/QueryEditor';
import { VariableQueryEditor } from '../../src/components/VariableQueryEditor';
import { DataSource } from '../../src/datasource';
import { testInstanceSettings, testSettings } from '../../src/testing/instanceSettings';
import { pluginsPanelData } from '../../src/testing/panelData';
import { FakeTemplateSrv } from '../../src/testing/templateSrv';
import { CCOptions, CCQuery, CCSecureOptions } from '../../src/types';

type Settings = DataSourceSettings<CCOptions, CCSecureOptions>;

declare global {
  interface Window {
    /** The settings the config editor last handed back. */
    __lastOptions?: Settings;
    /** The query the query editor last handed back, how many it handed back, and how often it asked to run one. */
    __lastQuery?: CCQuery;
    __changes: number;
    __runs: number;
    /** The variable query the variable editor last handed back. */
    __lastVariableQuery?: CCQuery;
  }
}

/** A BackendSrv.fetch that asks the harness server, as Grafana's would ask Grafana. */
function fetchFromHarnessServer(options: BackendSrvRequest): Observable<FetchResponse> {
  const url = new URL(options.url, window.location.origin);
  for (const [key, value] of Object.entries(options.params ?? {})) {
    url.searchParams.set(key, String(value));
  }
  const request = window.fetch(url, { method: options.method ?? 'GET', headers: options.headers }).then(async (res) => {
    const data = await res.json();
    if (!res.ok) {
      throw { status: res.status, statusText: res.statusText, data };
    }
    return { data, status: res.status, statusText: res.statusText, ok: true, headers: res.headers, url: res.url } as FetchResponse;
  });
  return from(request);
}

setBackendSrv({ fetch: fetchFromHarnessServer } as unknown as BackendSrv);
setTemplateSrv(new FakeTemplateSrv({ platform: 'youtube', campaign: ['c-1', 'c-2'] }));

const theme = createTheme({ colors: { mode: 'dark' } });
const datasource = new DataSource(testInstanceSettings());
window.__changes = 0;
window.__runs = 0;

/** Settings as Grafana hands them over for a data source whose token is already stored. */
const INITIAL_SETTINGS: Settings = testSettings({ secureJsonFields: { apiToken: true } });

/** The settings page, keeping its state the way Grafana does. */
function ConfigSection() {
  const [options, setOptions] = useState<Settings>(INITIAL_SETTINGS);
  return (
    <ConfigEditor
      options={options}
      onOptionsChange={(next) => {
        window.__lastOptions = next;
        setOptions(next);
      }}
    />
  );
}

/** What a plugins query answered, for "Collect now". */
const PLUGINS_DATA = pluginsPanelData('A', ['demo', 'platform']);

/** A panel's query editor. */
function QuerySection() {
  const [query, setQuery] = useState<CCQuery>({ refId: 'A', ...datasource.getDefaultQuery(0 as never) });
  return (
    <QueryEditor
      query={query}
      datasource={datasource}
      data={PLUGINS_DATA}
      onChange={(next) => {
        window.__lastQuery = next;
        window.__changes++;
        setQuery(next);
      }}
      onRunQuery={() => window.__runs++}
    />
  );
}

/** A template variable's query editor. */
function VariableSection() {
  const [query, setQuery] = useState<CCQuery>({ refId: 'V' });
  return (
    <VariableQueryEditor
      query={query}
      datasource={datasource}
      onChange={(next) => {
        window.__lastVariableQuery = next;
        setQuery(next);
      }}
      onRunQuery={() => {}}
    />
  );
}

/** One titled block of the page. */
function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section id={id} className="harness-section" style={{ background: theme.colors.background.primary }}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

Object.assign(document.body.style, {
  background: theme.colors.background.canvas,
  color: theme.colors.text.primary,
  fontFamily: theme.typography.fontFamily,
  fontSize: `${theme.typography.fontSize}px`,
});

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    <Section id="config" title="Data source settings">
      <ConfigSection />
    </Section>
    <Section id="query" title="Query editor">
      <QuerySection />
    </Section>
    <Section id="variable" title="Variable query editor">
      <VariableSection />
    </Section>
  </ThemeContext.Provider>
);
