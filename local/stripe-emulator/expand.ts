import { invalidRequest } from './errors.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Applies `expand[]` paths (`destination`, `latest_charge.transfer`, `data.destination` on lists) by replacing ids
 * with the objects they name. The input is cloned first so stored objects never change.
 */
export function applyExpand(body: unknown, paths: string[], find: (id: string) => unknown): unknown {
  if (paths.length === 0) return body;
  const root = structuredClone(body);
  for (const path of paths) {
    if (path.split('.').length > 4) {
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, {
        param: 'expand',
      });
    }
    expandPath(root, path.split('.'), path, find);
  }
  return root;
}

function expandPath(node: unknown, segments: string[], full: string, find: (id: string) => unknown): void {
  const [head, ...rest] = segments;
  if (head === undefined || !isRecord(node)) return;
  if (head === 'data' && node.object === 'list' && Array.isArray(node.data)) {
    for (const item of node.data) expandPath(item, rest, full, find);
    return;
  }
  if (!(head in node)) {
    throw invalidRequest(`This property cannot be expanded (${head}).`, { param: 'expand' });
  }
  let value = node[head];
  if (typeof value === 'string') {
    const found = find(value);
    if (found === undefined) {
      throw invalidRequest(`This property cannot be expanded (${head}).`, { param: 'expand' });
    }
    value = structuredClone(found);
    node[head] = value;
  } else if (value !== null && !isRecord(value)) {
    throw invalidRequest(`This property cannot be expanded (${head}).`, { param: 'expand' });
  }
  if (rest.length > 0 && value !== null) expandPath(value, rest, full, find);
}
