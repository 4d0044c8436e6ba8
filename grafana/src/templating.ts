import { ScopedVars, SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';

/** Joins the values of a multi-value variable; no value the user can type contains it. */
export const SEPARATOR = '\u001f';

/** Formats a variable's value (one or many) so that its values can be split apart again. */
function joinValues(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(SEPARATOR) : String(value ?? '');
}

/** Whether a variable's current value is "All". */
function isAll(variable: unknown): boolean {
  const current = (variable as { current?: { value?: unknown } } | undefined)?.current?.value;
  return ([] as unknown[]).concat(current ?? []).includes('$__all');
}

/**
 * Formats a variable in a single-valued field: "All" is no filter (''), several values are
 * joined with SEPARATOR, which the backend refuses with a message that names the field.
 */
function singleValue(value: unknown, variable?: unknown): string {
  return isAll(variable) ? '' : joinValues(value);
}

/** Interpolates a single-valued field; undefined, '' and "All" stay undefined. */
export function interpolateValue(value: string | undefined, scopedVars?: ScopedVars): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  return getTemplateSrv().replace(value, scopedVars, singleValue) || undefined;
}

/**
 * Interpolates a number field that may hold a variable (`$max_cpm`): a number stays, an empty
 * value or "All" is no value, and text that is not a number is kept for the backend to refuse
 * with the field's name.
 */
export function interpolateNumber(
  value: number | string | undefined,
  scopedVars?: ScopedVars
): number | string | undefined {
  if (typeof value !== 'string') {
    return value;
  }
  const text = interpolateValue(value.trim(), scopedVars)?.trim();
  if (text === undefined || text === '') {
    return undefined;
  }
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : text;
}

/**
 * Interpolates a list field: each entry may name a variable, and a multi-value variable
 * expands into one entry per value. Empty entries and duplicates are dropped. A variable set
 * to "All" makes the whole list undefined: every value, that is no filter.
 */
export function interpolateList(values: string[] | undefined, scopedVars?: ScopedVars): string[] | undefined {
  if (values === undefined) {
    return undefined;
  }
  const templateSrv = getTemplateSrv();
  let all = false;
  const listValue = (value: unknown, variable?: unknown) => {
    all ||= isAll(variable);
    return joinValues(value);
  };
  const expanded = values.flatMap((value) => templateSrv.replace(value, scopedVars, listValue).split(SEPARATOR));
  return all ? undefined : Array.from(new Set(expanded.filter((value) => value !== '')));
}

/** The dashboard's variables as select options (`$name`), offered next to the real values. */
export function variableOptions(): Array<SelectableValue<string>> {
  return getTemplateSrv()
    .getVariables()
    .map((variable) => ({ label: `$${variable.name}`, value: `$${variable.name}`, description: 'Variable' }));
}
