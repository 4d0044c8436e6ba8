import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import React from 'react';

import { CCOptions, CCSecureOptions } from '../types';
import { ConnectionSettings } from './config/ConnectionSettings';
import { TlsSettings } from './config/TlsSettings';

/** The data source's settings page: connection (URL, timeout, token) and TLS. */
export function ConfigEditor({
  options,
  onOptionsChange,
}: DataSourcePluginOptionsEditorProps<CCOptions, CCSecureOptions>) {
  return (
    <div data-testid="cc-config-editor">
      <ConnectionSettings options={options} onOptionsChange={onOptionsChange} />
      <TlsSettings options={options} onOptionsChange={onOptionsChange} />
    </div>
  );
}
