import { InlineField, SecretTextArea } from '@grafana/ui';
import React from 'react';

import { CCSecureOptions } from '../../types';
import { CCSettings, isSecretConfigured, withSecret, withSecretReset } from './options';

/** Props of SecretPemField. */
interface Props {
  options: CCSettings;
  onOptionsChange: (options: CCSettings) => void;
  /** The secureJsonData key the PEM goes to. */
  secret: keyof CCSecureOptions;
  label: string;
  /** The text area's id and data-testid. */
  testId: string;
  placeholder: string;
}

/** A PEM certificate or key stored as a secret: "configured" once saved, with Reset. */
export function SecretPemField({ options, onOptionsChange, secret, label, testId, placeholder }: Props) {
  return (
    <InlineField label={label} labelWidth={24} grow>
      <SecretTextArea
        id={testId}
        data-testid={testId}
        aria-label={label}
        rows={5}
        cols={60}
        placeholder={placeholder}
        isConfigured={isSecretConfigured(options, secret)}
        value={options.secureJsonData?.[secret] ?? ''}
        onChange={(event) => onOptionsChange(withSecret(options, secret, event.currentTarget.value))}
        onReset={() => onOptionsChange(withSecretReset(options, secret))}
      />
    </InlineField>
  );
}
