/**
 * Breaking changes between two versions of the contract, as a client sees them: a removed operation or response, a
 * new required input, an input narrowed (a type, enum value, bound or field no longer accepted), an output widened
 * (a field removed or made optional, a type or enum value a client does not know). Additive changes — a new
 * operation, an optional input, a new output field — are not breaking.
 */

type Schema = { [key: string]: unknown };
type Direction = 'request' | 'response';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: { [type: string]: { schema?: Schema } } };
  responses?: { [status: string]: { content?: { [type: string]: { schema?: Schema } } } };
}
interface Document {
  paths?: { [path: string]: { [method: string]: Operation } };
}

const asSchema = (value: unknown): Schema | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;

const typesOf = (schema: Schema): Set<string> | undefined => {
  const type = schema.type;
  if (typeof type === 'string') return new Set([type === 'integer' ? 'integer' : type]);
  if (Array.isArray(type)) return new Set(type as string[]);
  return undefined;
};

const valuesOf = (schema: Schema): unknown[] | undefined =>
  Array.isArray(schema.enum) ? (schema.enum as unknown[]) : 'const' in schema ? [schema.const] : undefined;

/** `a` covers `b`: every type in b is in a (an integer is a number). */
function covers(a: Set<string>, b: Set<string>): boolean {
  return [...b].every((type) => a.has(type) || (type === 'integer' && a.has('number')));
}

function compareSchemas(base: Schema, head: Schema, direction: Direction, where: string, out: string[]): void {
  const baseTypes = typesOf(base);
  const headTypes = typesOf(head);
  if (baseTypes && headTypes) {
    const ok = direction === 'request' ? covers(headTypes, baseTypes) : covers(baseTypes, headTypes);
    if (!ok) out.push(`${where}: type ${[...baseTypes].join('|')} → ${[...headTypes].join('|')}`);
  }
  const baseValues = valuesOf(base);
  const headValues = valuesOf(head);
  if (direction === 'request' && baseValues) {
    const lost = headValues ? baseValues.filter((value) => !headValues.includes(value)) : [];
    if (lost.length > 0) out.push(`${where}: no longer accepts ${lost.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (direction === 'response' && headValues) {
    const gained = baseValues ? headValues.filter((value) => !baseValues.includes(value)) : headValues;
    if (baseValues && gained.length > 0) {
      out.push(`${where}: may now answer ${gained.map((v) => JSON.stringify(v)).join(', ')}`);
    }
  }
  if (direction === 'request') {
    for (const [key, tighter] of [
      ['maximum', (b: number, h: number) => h < b],
      ['exclusiveMaximum', (b: number, h: number) => h < b],
      ['maxLength', (b: number, h: number) => h < b],
      ['maxItems', (b: number, h: number) => h < b],
      ['minimum', (b: number, h: number) => h > b],
      ['exclusiveMinimum', (b: number, h: number) => h > b],
      ['minLength', (b: number, h: number) => h > b],
      ['minItems', (b: number, h: number) => h > b],
    ] as const) {
      const b = base[key];
      const h = head[key];
      if (typeof h === 'number' && (typeof b !== 'number' || tighter(b, h))) {
        out.push(`${where}: ${key} ${typeof b === 'number' ? b : 'none'} → ${h}`);
      }
    }
  }

  const baseProperties = asSchema(base.properties) ?? {};
  const headProperties = asSchema(head.properties) ?? {};
  const baseRequired = new Set(Array.isArray(base.required) ? (base.required as string[]) : []);
  const headRequired = new Set(Array.isArray(head.required) ? (head.required as string[]) : []);
  for (const [name, baseProperty] of Object.entries(baseProperties)) {
    const headProperty = asSchema(headProperties[name]);
    const path = `${where}.${name}`;
    if (!headProperty) {
      if (direction === 'response' || head.additionalProperties === false) out.push(`${path}: removed`);
      continue;
    }
    if (direction === 'response' && baseRequired.has(name) && !headRequired.has(name)) {
      out.push(`${path}: no longer always present`);
    }
    const baseSchema = asSchema(baseProperty);
    if (baseSchema) compareSchemas(baseSchema, headProperty, direction, path, out);
  }
  if (direction === 'request') {
    for (const name of headRequired) {
      if (!baseRequired.has(name)) out.push(`${where}.${name}: now required`);
    }
  }
  const baseItems = asSchema(base.items);
  const headItems = asSchema(head.items);
  if (baseItems && headItems) compareSchemas(baseItems, headItems, direction, `${where}[]`, out);
}

const jsonSchema = (content: { [type: string]: { schema?: Schema } } | undefined): Schema | undefined =>
  content?.['application/json']?.schema;

export function breakingChanges(baseDocument: unknown, headDocument: unknown): string[] {
  const base = baseDocument as Document;
  const head = headDocument as Document;
  const out: string[] = [];
  for (const [path, methods] of Object.entries(base.paths ?? {})) {
    for (const [method, baseOperation] of Object.entries(methods)) {
      const name = `${method.toUpperCase()} ${path}`;
      const headOperation = head.paths?.[path]?.[method];
      if (!headOperation) {
        out.push(`${name}: removed`);
        continue;
      }
      const headParameters = headOperation.parameters ?? [];
      for (const parameter of headParameters) {
        const before = baseOperation.parameters?.find((p) => p.name === parameter.name && p.in === parameter.in);
        if (parameter.required && !before?.required)
          out.push(`${name} ${parameter.in} ${parameter.name}: now required`);
      }
      for (const parameter of baseOperation.parameters ?? []) {
        const after = headParameters.find((p) => p.name === parameter.name && p.in === parameter.in);
        const where = `${name} ${parameter.in} ${parameter.name}`;
        if (!after) out.push(`${where}: removed`);
        else if (parameter.schema && after.schema)
          compareSchemas(parameter.schema, after.schema, 'request', where, out);
      }
      const baseBody = jsonSchema(baseOperation.requestBody?.content);
      const headBody = jsonSchema(headOperation.requestBody?.content);
      if (headOperation.requestBody?.required && !baseOperation.requestBody?.required) {
        out.push(`${name} body: now required`);
      }
      if (baseBody && headBody) compareSchemas(baseBody, headBody, 'request', `${name} body`, out);
      for (const [status, baseResponse] of Object.entries(baseOperation.responses ?? {})) {
        if (!status.startsWith('2') && !status.startsWith('3')) continue;
        const headResponse = headOperation.responses?.[status];
        if (!headResponse) {
          out.push(`${name} ${status}: removed`);
          continue;
        }
        const before = jsonSchema(baseResponse.content);
        const after = jsonSchema(headResponse.content);
        if (before && after) compareSchemas(before, after, 'response', `${name} ${status}`, out);
      }
    }
  }
  return out;
}
