import { FieldSet, InlineField, InlineSwitch, Input } from '@grafana/ui';
import React from 'react';

import { CCSettings, withJsonData } from './options';
import { SecretPemField } from './SecretPemField';

/** Props of TlsSettings. */
interface Props {
  options: CCSettings;
  onOptionsChange: (options: CCSettings) => void;
}

/** TLS settings: verification, server name, a CA certificate and a client certificate. */
export function TlsSettings({ options, onOptionsChange }: Props) {
  const { jsonData } = options;
  const setJsonData = (patch: Parameters<typeof withJsonData>[1]) => onOptionsChange(withJsonData(options, patch));

  return (
    <FieldSet label="TLS">
      <InlineField
        label="Skip TLS verify"
        labelWidth={24}
        tooltip="Do not verify the server's certificate (testing only)"
      >
        <InlineSwitch
          id="cc-config-tls-skip-verify"
          data-testid="cc-config-tls-skip-verify"
          value={jsonData.tlsSkipVerify ?? false}
          onChange={(event) => setJsonData({ tlsSkipVerify: event.currentTarget.checked })}
        />
      </InlineField>
      <InlineField label="With CA cert" labelWidth={24} tooltip="Verify the server against this CA certificate">
        <InlineSwitch
          id="cc-config-tls-with-ca-cert"
          data-testid="cc-config-tls-with-ca-cert"
          value={jsonData.tlsAuthWithCACert ?? false}
          onChange={(event) => setJsonData({ tlsAuthWithCACert: event.currentTarget.checked })}
        />
      </InlineField>
      {jsonData.tlsAuthWithCACert && (
        <SecretPemField
          options={options}
          onOptionsChange={onOptionsChange}
          secret="tlsCACert"
          label="CA cert"
          testId="cc-config-tls-ca-cert"
          placeholder="-----BEGIN CERTIFICATE-----"
        />
      )}
      <InlineField label="Client auth" labelWidth={24} tooltip="Present a client certificate to the server">
        <InlineSwitch
          id="cc-config-tls-auth"
          data-testid="cc-config-tls-auth"
          value={jsonData.tlsAuth ?? false}
          onChange={(event) => setJsonData({ tlsAuth: event.currentTarget.checked })}
        />
      </InlineField>
      {(jsonData.tlsAuthWithCACert || jsonData.tlsAuth) && (
        // Grafana's HTTP client reads the server name only with one of the two.
        <InlineField
          label="Server name"
          labelWidth={24}
          tooltip="The name to verify when it differs from the URL's host"
        >
          <Input
            id="cc-config-tls-server-name"
            data-testid="cc-config-tls-server-name"
            width={40}
            placeholder="commandcenter.example.com"
            value={jsonData.serverName ?? ''}
            onChange={(event) => setJsonData({ serverName: event.currentTarget.value || undefined })}
          />
        </InlineField>
      )}
      {jsonData.tlsAuth && (
        <>
          <SecretPemField
            options={options}
            onOptionsChange={onOptionsChange}
            secret="tlsClientCert"
            label="Client cert"
            testId="cc-config-tls-client-cert"
            placeholder="-----BEGIN CERTIFICATE-----"
          />
          <SecretPemField
            options={options}
            onOptionsChange={onOptionsChange}
            secret="tlsClientKey"
            label="Client key"
            testId="cc-config-tls-client-key"
            placeholder="-----BEGIN PRIVATE KEY-----"
          />
        </>
      )}
    </FieldSet>
  );
}
