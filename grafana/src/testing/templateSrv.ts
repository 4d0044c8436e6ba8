import { ScopedVars, TimeRange, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

/** A variable's current value: one value, or several for a multi-value variable. */
export type VariableValue = string | string[];

/**
 * A TemplateSrv for tests and the browser harness. Like Grafana's, it replaces `$name` and
 * `${name}` (scoped variables first), hands a format function the raw value (an array for a
 * multi-value variable) and the variable (`current.value`; `['$__all']` stands for All), formats a multi-value variable as `{a,b}` otherwise, and leaves
 * unknown variables as they are.
 */
export class FakeTemplateSrv implements TemplateSrv {
  constructor(private readonly values: Record<string, VariableValue> = {}) {}

  getVariables(): TypedVariableModel[] {
    return Object.keys(this.values).map((name) => ({ name, type: 'custom' }) as unknown as TypedVariableModel);
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
      const name = (braced ?? bare)!;
      const value: VariableValue | undefined = scopedVars?.[name]?.value ?? this.values[name];
      if (value === undefined) {
        return match;
      }
      if (typeof format === 'function') {
        return format(value, { name, current: { value } });
      }
      if (Array.isArray(value)) {
        return value.length === 1 ? value[0] : `{${value.join(',')}}`;
      }
      return String(value);
    });
  }

  containsTemplate(target?: string): boolean {
    return /\$/.test(target ?? '');
  }

  updateTimeRange(_: TimeRange): void {}
}
