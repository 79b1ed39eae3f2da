import { invalidRequest, missingParam, unknownParam } from './errors.ts';
import type { FormObject, FormValue } from './form.ts';

export interface RangeFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export type MetadataUpdate = { kind: 'clear' } | { kind: 'merge'; set: Record<string, string>; unset: string[] };

/**
 * Reads request parameters the way Stripe validates them: each getter checks type and range and names the exact
 * parameter (`transfer_data[destination]`) in the error; `done()` rejects anything nobody read.
 */
export class Params {
  private readonly used = new Set<string>();
  private readonly children: Params[] = [];

  constructor(
    readonly data: FormObject,
    private readonly prefix = '',
  ) {}

  name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return key in this.data;
  }

  keys(): string[] {
    return Object.keys(this.data);
  }

  raw(key: string): FormValue | undefined {
    this.used.add(key);
    return this.data[key];
  }

  /** Marks a key as accepted without interpreting it (e.g. `expand`, read elsewhere). */
  ignore(...keys: string[]): void {
    for (const k of keys) this.used.add(k);
  }

  string(key: string, opts: { required?: boolean; enum?: readonly string[]; maxLength?: number } = {}) {
    const v = this.raw(key);
    if (v === undefined) {
      if (opts.required) throw missingParam(this.name(key));
      return undefined;
    }
    if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${describe(v)}`, { param: this.name(key) });
    if (v === '' && opts.required) throw emptyValue(this.name(key));
    if (opts.enum && !opts.enum.includes(v)) {
      throw invalidRequest(`Invalid ${this.name(key)}: must be one of ${opts.enum.join(', ')}`, {
        param: this.name(key),
      });
    }
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      throw invalidRequest(`Invalid string: ${v.slice(0, 20)}...; must be at most ${opts.maxLength} characters`, {
        param: this.name(key),
      });
    }
    return v;
  }

  requiredString(key: string, opts: { enum?: readonly string[]; maxLength?: number } = {}): string {
    return this.string(key, { ...opts, required: true }) as string;
  }

  int(key: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = this.raw(key);
    if (v === undefined) {
      if (opts.required) throw missingParam(this.name(key));
      return undefined;
    }
    const param = this.name(key);
    if (typeof v !== 'string' || !/^-?\d+$/.test(v.trim())) {
      throw invalidRequest(`Invalid integer: ${describe(v)}`, { param, code: 'parameter_invalid_integer' });
    }
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n)) {
      throw invalidRequest(`Invalid integer: ${v}`, { param, code: 'parameter_invalid_integer' });
    }
    if (opts.min !== undefined && n < opts.min) {
      throw invalidRequest(`This value must be greater than or equal to ${opts.min}.`, {
        param,
        code: 'parameter_invalid_integer',
      });
    }
    if (opts.max !== undefined && n > opts.max) {
      throw invalidRequest(`This value must be less than or equal to ${opts.max}.`, {
        param,
        code: 'parameter_invalid_integer',
      });
    }
    return n;
  }

  requiredInt(key: string, opts: { min?: number; max?: number } = {}): number {
    return this.int(key, { ...opts, required: true }) as number;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalidRequest(`Invalid boolean: ${describe(v)}`, { param: this.name(key) });
  }

  /** A nested hash; its own unknown keys are rejected when the parent's `done()` runs. */
  object(key: string, opts: { required?: boolean } = {}): Params | undefined {
    const v = this.raw(key);
    if (v === undefined || v === '') {
      if (opts.required) throw missingParam(this.name(key));
      return undefined;
    }
    if (typeof v === 'string' || Array.isArray(v)) {
      throw invalidRequest(`Invalid hash`, { param: this.name(key) });
    }
    const child = new Params(v, this.name(key));
    this.children.push(child);
    return child;
  }

  /** An array of hashes (`line_items[0][...]`). */
  objectArray(key: string, opts: { required?: boolean } = {}): Params[] | undefined {
    const v = this.raw(key);
    if (v === undefined) {
      if (opts.required) throw missingParam(this.name(key));
      return undefined;
    }
    if (!Array.isArray(v)) throw invalidRequest('Invalid array', { param: this.name(key) });
    return v.map((item, i) => {
      if (typeof item === 'string' || Array.isArray(item)) {
        throw invalidRequest('Invalid hash', { param: `${this.name(key)}[${i}]` });
      }
      const child = new Params(item, `${this.name(key)}[${i}]`);
      this.children.push(child);
      return child;
    });
  }

  stringArray(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v === '' ? [] : [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw invalidRequest('Invalid array', { param: this.name(key) });
    }
    return v as string[];
  }

  /** Stripe's metadata: up to 50 keys, key ≤ 40 chars, value ≤ 500; `''` unsets a key; `metadata=` clears all. */
  metadata(key = 'metadata'): MetadataUpdate | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (v === '') return { kind: 'clear' };
    if (typeof v === 'string' || Array.isArray(v)) throw invalidRequest('Invalid hash', { param: this.name(key) });
    const set: Record<string, string> = {};
    const unset: string[] = [];
    const entries = Object.entries(v);
    if (entries.length > 50) {
      throw invalidRequest('Invalid metadata: metadata can have a maximum of 50 keys.', { param: this.name(key) });
    }
    for (const [k, val] of entries) {
      if (typeof val !== 'string') {
        throw invalidRequest('Invalid metadata: values must be strings', { param: `${this.name(key)}[${k}]` });
      }
      if (k.length > 40) {
        throw invalidRequest(`Invalid metadata: key ${k.slice(0, 40)}... is longer than 40 characters.`, {
          param: `${this.name(key)}[${k}]`,
        });
      }
      if (val.length > 500) {
        throw invalidRequest('Invalid metadata: values must be at most 500 characters.', {
          param: `${this.name(key)}[${k}]`,
        });
      }
      if (val === '') unset.push(k);
      else set[k] = val;
    }
    return { kind: 'merge', set, unset };
  }

  /** `created=123` or `created[gte]=…&created[lt]=…`. */
  range(key: string): RangeFilter | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') {
      const n = this.int(key);
      return n === undefined ? undefined : { gte: n, lte: n };
    }
    const child = this.object(key);
    if (!child) return undefined;
    const out: RangeFilter = {};
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      const n = child.int(op);
      if (n !== undefined) out[op] = n;
    }
    return out;
  }

  /** Rejects the first parameter nobody read, depth first, as Stripe does. */
  done(): void {
    for (const key of Object.keys(this.data)) {
      if (!this.used.has(key)) throw unknownParam(this.name(key));
    }
    for (const child of this.children) child.done();
  }
}

export function applyMetadata(current: Record<string, string>, update: MetadataUpdate | undefined) {
  if (!update) return current;
  if (update.kind === 'clear') return {};
  const next = { ...current, ...update.set };
  for (const k of update.unset) delete next[k];
  return next;
}

export function inRange(value: number, range: RangeFilter | undefined): boolean {
  if (!range) return true;
  if (range.gt !== undefined && !(value > range.gt)) return false;
  if (range.gte !== undefined && !(value >= range.gte)) return false;
  if (range.lt !== undefined && !(value < range.lt)) return false;
  if (range.lte !== undefined && !(value <= range.lte)) return false;
  return true;
}

function emptyValue(param: string) {
  return invalidRequest(
    `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
    { param, code: 'parameter_invalid_empty' },
  );
}

function describe(v: FormValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
