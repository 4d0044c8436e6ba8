import { FieldSet, InlineField, Input, SecretInput } from '@grafana/ui';
import React from 'react';

import { DEFAULT_TIMEOUT_SECONDS } from '../../types';
import { CCSettings, isSecretConfigured, withJsonData, withSecret, withSecretReset } from './options';

/** Props of ConnectionSettings. */
interface Props {
  options: CCSettings;
  onOptionsChange: (options: CCSettings) => void;
}

/** Why a URL cannot be commandcenter's base URL, or undefined when it can (or is empty). */
export function urlProblem(url: string | undefined): string | undefined {
  if (!url) {
    return undefined;
  }
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? undefined : 'The URL must start with http:// or https://';
  } catch {
    return 'Not a valid URL, e.g. http://127.0.0.1:9464';
  }
}

/** Where commandcenter is and how to authenticate: URL, timeout and API token. */
export function ConnectionSettings({ options, onOptionsChange }: Props) {
  const { jsonData } = options;
  const problem = urlProblem(jsonData.url);

  return (
    <FieldSet label="Connection">
      <InlineField
        label="URL"
        labelWidth={24}
        required
        invalid={!!problem}
        error={problem}
        tooltip="commandcenter's base URL (required)"
      >
        <Input
          id="cc-config-url"
          data-testid="cc-config-url"
          width={40}
          required
          placeholder="http://127.0.0.1:9464"
          value={jsonData.url ?? ''}
          onChange={(event) => onOptionsChange(withJsonData(options, { url: event.currentTarget.value }))}
        />
      </InlineField>
      <InlineField label="Timeout (seconds)" labelWidth={24} tooltip="Per-call timeout">
        <Input
          id="cc-config-timeout"
          data-testid="cc-config-timeout"
          type="number"
          min={1}
          width={14}
          placeholder={String(DEFAULT_TIMEOUT_SECONDS)}
          value={jsonData.timeout ?? ''}
          onChange={(event) => {
            const seconds = parseInt(event.currentTarget.value, 10);
            onOptionsChange(withJsonData(options, { timeout: seconds > 0 ? seconds : undefined }));
          }}
        />
      </InlineField>
      <InlineField
        label="API token"
        labelWidth={24}
        required
        tooltip="A read token from `commandcenter tokens create` (required); an admin token also lets the plugins query's editor collect now"
      >
        <SecretInput
          id="cc-config-api-token"
          data-testid="cc-config-api-token"
          width={40}
          required
          placeholder="read token"
          isConfigured={isSecretConfigured(options, 'apiToken')}
          value={options.secureJsonData?.apiToken ?? ''}
          onChange={(event) => onOptionsChange(withSecret(options, 'apiToken', event.currentTarget.value))}
          onReset={() => onOptionsChange(withSecretReset(options, 'apiToken'))}
        />
      </InlineField>
    </FieldSet>
  );
}
