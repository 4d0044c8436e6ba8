import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import { ConfigEditor } from './ConfigEditor';
import { testSettings } from '../testing/instanceSettings';
import { CCSettings } from './config/options';

/** Renders the editor the way Grafana does: every change is fed back as the new options. */
function renderEditor(initial: CCSettings) {
  const changes: CCSettings[] = [];
  function Stateful() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(next) => {
          changes.push(next as CCSettings);
          setOptions(next as CCSettings);
        }}
      />
    );
  }
  render(<Stateful />);
  return { changes, last: () => changes[changes.length - 1] };
}

describe('ConfigEditor', () => {
  it('stores the typed URL in jsonData.url and keeps the other settings', async () => {
    const { last } = renderEditor(testSettings({ jsonData: { timeout: 12, tlsSkipVerify: true } }));
    await userEvent.type(screen.getByTestId('cc-config-url'), 'http://cc.internal:9464');
    expect(last().jsonData).toEqual({ url: 'http://cc.internal:9464', timeout: 12, tlsSkipVerify: true });
    expect(screen.getByLabelText(/^URL/)).toHaveValue('http://cc.internal:9464');
  });

  it('shows the URL placeholder and flags a URL that is not http(s)', async () => {
    renderEditor(testSettings());
    const url = screen.getByTestId('cc-config-url');
    expect(url).toHaveAttribute('placeholder', 'http://127.0.0.1:9464');
    await userEvent.type(url, 'ftp://cc');
    expect(screen.getByText('The URL must start with http:// or https://')).toBeInTheDocument();
  });

  it('stores the timeout as a number of seconds', async () => {
    const { last } = renderEditor(testSettings());
    await userEvent.type(screen.getByTestId('cc-config-timeout'), '45');
    expect(last().jsonData.timeout).toBe(45);
    await userEvent.clear(screen.getByTestId('cc-config-timeout'));
    expect(last().jsonData.timeout).toBeUndefined();
  });

  it('puts the API token into secureJsonData only', async () => {
    const { last } = renderEditor(testSettings({ jsonData: { url: 'http://a:1' } }));
    await userEvent.type(screen.getByTestId('cc-config-api-token'), 'cc_read_123');
    expect(last().secureJsonData).toEqual({ apiToken: 'cc_read_123' });
    expect(last().jsonData).toEqual({ url: 'http://a:1' });
    expect(screen.getByTestId('cc-config-api-token')).toHaveAttribute('type', 'password');
  });

  it('shows a stored token as configured, and Reset clears it for a new one', async () => {
    const { last } = renderEditor(testSettings({ secureJsonFields: { apiToken: true, tlsCACert: true } }));
    const stored = screen.getByTestId('cc-config-api-token');
    expect(stored).toHaveValue('configured');
    expect(stored).toBeDisabled();

    await userEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields).toEqual({ apiToken: false, tlsCACert: true });
    expect(last().secureJsonData).toEqual({ apiToken: '' });

    const fresh = screen.getByTestId('cc-config-api-token');
    expect(fresh).toBeEnabled();
    expect(fresh).toHaveValue('');
    await userEvent.type(fresh, 'new-token');
    expect(last().secureJsonData).toEqual({ apiToken: 'new-token' });
  });

  it('reveals the CA certificate only with "With CA cert", and stores it as a secret', async () => {
    const { last } = renderEditor(testSettings());
    expect(screen.queryByTestId('cc-config-tls-ca-cert')).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId('cc-config-tls-with-ca-cert'));
    expect(last().jsonData.tlsAuthWithCACert).toBe(true);
    await userEvent.type(screen.getByTestId('cc-config-tls-ca-cert'), 'PEM-CA');
    expect(last().secureJsonData).toEqual({ tlsCACert: 'PEM-CA' });
    expect(last().jsonData).toEqual({ tlsAuthWithCACert: true });
  });

  it('reveals client certificate and key with "Client auth"', async () => {
    const { last } = renderEditor(testSettings());
    expect(screen.queryByTestId('cc-config-tls-client-cert')).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId('cc-config-tls-auth'));
    await userEvent.type(screen.getByTestId('cc-config-tls-client-cert'), 'PEM-CERT');
    await userEvent.type(screen.getByTestId('cc-config-tls-client-key'), 'PEM-KEY');
    expect(last().jsonData).toEqual({ tlsAuth: true });
    expect(last().secureJsonData).toEqual({ tlsClientCert: 'PEM-CERT', tlsClientKey: 'PEM-KEY' });
  });

  it('stores skip verify, and the server name once a certificate is in play', async () => {
    const { last } = renderEditor(testSettings());
    await userEvent.click(screen.getByTestId('cc-config-tls-skip-verify'));
    expect(screen.queryByTestId('cc-config-tls-server-name')).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId('cc-config-tls-with-ca-cert'));
    await userEvent.type(screen.getByTestId('cc-config-tls-server-name'), 'cc.example.com');
    expect(last().jsonData).toEqual({ tlsSkipVerify: true, tlsAuthWithCACert: true, serverName: 'cc.example.com' });
  });
});
