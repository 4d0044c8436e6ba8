import { InlineField, Input } from '@grafana/ui';
import React, { useState } from 'react';

/** Props of NumberField. */
interface Props {
  label: string;
  tooltip?: string;
  /** The input's id and data-testid. */
  testId: string;
  value?: number | string;
  min?: number;
  max?: number;
  step?: number;
  /** Round to a whole number (limits). */
  integer?: boolean;
  /** Also accept a template variable (`$name`), kept as text. */
  allowVariable?: boolean;
  placeholder?: string;
  /** Called with the new value (undefined when emptied) when the user leaves the field or presses Enter. */
  onChange: (value: number | string | undefined) => void;
}

/** Parses, rounds (when integer) and clamps what the user typed; null when it is not a number. */
function parse(text: string, min?: number, max?: number, integer?: boolean): number | undefined | null {
  if (text.trim() === '') {
    return undefined;
  }
  const typed = Number(text);
  const value = integer ? Math.round(typed) : typed;
  if (!Number.isFinite(value)) {
    return null;
  }
  return Math.min(max ?? Infinity, Math.max(min ?? -Infinity, value));
}

/**
 * A number input that commits on blur or Enter, not on every keystroke, so that typing
 * "250" runs one query rather than three. Values are clamped to [min, max].
 */
export function NumberField({
  label,
  tooltip,
  testId,
  value,
  min,
  max,
  step,
  integer,
  allowVariable,
  placeholder,
  onChange,
}: Props) {
  // What the user is typing; null when not editing, and the field shows the value.
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? (value === undefined ? '' : String(value));

  const commit = () => {
    if (draft === null) {
      return;
    }
    const parsed = allowVariable && draft.trim().startsWith('$') ? draft.trim() : parse(draft, min, max, integer);
    setDraft(null);
    if (parsed !== null && parsed !== value) {
      onChange(parsed);
    }
  };

  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={14}>
      <Input
        id={testId}
        data-testid={testId}
        type={allowVariable ? 'text' : 'number'}
        width={14}
        min={min}
        max={max}
        step={step}
        placeholder={placeholder}
        value={text}
        onChange={(event) => setDraft(event.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(event) => event.key === 'Enter' && commit()}
      />
    </InlineField>
  );
}
