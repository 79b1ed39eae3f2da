/** A decoded Stripe form body: strings at the leaves, nested by bracket syntax. */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first <= 0) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let rest = key.slice(first);
  let match: RegExpExecArray | null = re.exec(rest);
  let consumed = 0;
  while (match !== null && match.index === consumed) {
    parts.push(match[1] ?? '');
    consumed = match.index + match[0].length;
    match = re.exec(rest);
  }
  if (consumed < rest.length) {
    // Trailing garbage after the brackets: keep it on the last segment rather than losing it.
    rest = rest.slice(consumed);
    parts[parts.length - 1] += rest;
  }
  return parts;
}

function isObject(v: FormValue | undefined): v is FormObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects whose keys are all 0..n-1 (from `a[0]=…&a[1]=…`) or appended with `a[]=` become arrays. */
function normalise(value: FormValue): FormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(normalise);
  const keys = Object.keys(value);
  const out: FormObject = {};
  for (const k of keys) out[k] = normalise(value[k] as FormValue);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    const sorted = keys.map(Number).sort((a, b) => a - b);
    if (sorted.every((n, i) => n === i)) return sorted.map((n) => out[String(n)] as FormValue);
  }
  return out;
}

const APPEND = '\u0000append';

/** Decodes `application/x-www-form-urlencoded` with Stripe's nested bracket syntax (also used for GET queries). */
export function decodeForm(body: string): FormObject {
  const root: FormObject = {};
  if (!body) return root;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    const path = splitKey(key);
    let node: FormObject = root;
    for (let i = 0; i < path.length; i++) {
      let segment = path[i] as string;
      const last = i === path.length - 1;
      if (segment === '') {
        // `a[]=x`: append. Count existing appended entries so each gets its own index.
        let n = 0;
        while (`${APPEND}${n}` in node) n++;
        segment = `${APPEND}${n}`;
      }
      if (last) {
        node[segment] = value;
      } else {
        const existing = node[segment];
        if (!isObject(existing)) {
          const fresh: FormObject = {};
          node[segment] = fresh;
          node = fresh;
        } else {
          node = existing;
        }
      }
    }
  }
  return normalise(renameAppends(root)) as FormObject;
}

function renameAppends(obj: FormObject): FormObject {
  const out: FormObject = {};
  const keys = Object.keys(obj);
  const appended = keys.filter((k) => k.startsWith(APPEND));
  for (const k of keys) {
    const v = obj[k] as FormValue;
    const name = k.startsWith(APPEND) ? String(appended.indexOf(k)) : k;
    out[name] = isObject(v) ? renameAppends(v) : v;
  }
  return out;
}

/** Stable string form of decoded params, used to compare an idempotent retry with its original request. */
export function canonicalParams(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalParams).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalParams(value[k] as FormValue)}`).join(',')}}`;
}
