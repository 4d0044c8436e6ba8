import { DataSourceSettings } from '@grafana/data';

import { CCOptions, CCSecureOptions } from '../../types';

/** The settings object the config editor edits. */
export type CCSettings = DataSourceSettings<CCOptions, CCSecureOptions>;

/** The settings with some jsonData keys changed. */
export function withJsonData(options: CCSettings, patch: Partial<CCOptions>): CCSettings {
  return { ...options, jsonData: { ...options.jsonData, ...patch } };
}

/** The settings with a new value for a secret (sent to the backend once, on save). */
export function withSecret(options: CCSettings, key: keyof CCSecureOptions, value: string): CCSettings {
  return { ...options, secureJsonData: { ...options.secureJsonData, [key]: value } };
}

/** The settings with a stored secret reset: no longer configured, and no new value yet. */
export function withSecretReset(options: CCSettings, key: keyof CCSecureOptions): CCSettings {
  return {
    ...options,
    secureJsonFields: { ...options.secureJsonFields, [key]: false },
    secureJsonData: { ...options.secureJsonData, [key]: '' },
  };
}

/** Whether a secret is stored on the server (its value is never sent back). */
export function isSecretConfigured(options: CCSettings, key: keyof CCSecureOptions): boolean {
  return Boolean(options.secureJsonFields?.[key]);
}
