import { DataSourceInstanceSettings, DataSourcePluginMeta, DataSourceSettings } from '@grafana/data';

import { CCOptions, CCSecureOptions } from '../types';

/** The uid of the data source the tests and the browser harness use. */
export const TEST_UID = 'cc-test-uid';

const PLUGIN_ID = 'commandcenter-commandcenter-datasource';

/** Instance settings of a commandcenter data source, as Grafana would hand them to the plugin. */
export function testInstanceSettings(jsonData: CCOptions = {}): DataSourceInstanceSettings<CCOptions> {
  return {
    // Grafana still sends the numeric id; the type marks it deprecated.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    id: 7,
    uid: TEST_UID,
    type: PLUGIN_ID,
    name: 'commandcenter',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: { id: PLUGIN_ID, name: 'commandcenter' } as DataSourcePluginMeta<CCOptions>,
  };
}

/** Saved settings of a commandcenter data source as the settings page receives them. */
export function testSettings(
  overrides: Partial<DataSourceSettings<CCOptions, CCSecureOptions>> = {}
): DataSourceSettings<CCOptions, CCSecureOptions> {
  return {
    id: 7,
    uid: TEST_UID,
    orgId: 1,
    name: 'commandcenter',
    type: PLUGIN_ID,
    typeName: 'commandcenter',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    // Part of the settings type; commandcenter keeps everything in jsonData.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData: {},
    secureJsonFields: {},
    ...overrides,
  };
}
