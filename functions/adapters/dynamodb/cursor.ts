import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { domainError } from '#core/errors';

/**
 * Page cursors, one module for every paginated query. A cursor is opaque to callers (base64url) but arrives from
 * them, so it is decoded defensively: anything that is not exactly a cursor this deployment could have issued for
 * this query is `400 invalid_cursor` — never a DynamoDB validation failure (a 500) on one route.
 *
 * Two shapes:
 * - text cursors: one sort-key value, checked against the query's pattern;
 * - key cursors: a DynamoDB `LastEvaluatedKey`, checked to have exactly the query's key attributes, all non-empty
 *   strings, with the partition values the query itself uses (a key from another partition is refused too).
 */
type Item = Record<string, NativeAttributeValue>;

/** Longest attribute value a cursor may carry (our keys are far shorter). */
const MAX_VALUE_LENGTH = 1_024;

export const invalidCursor = () => domainError('invalid_cursor');

export const encodeTextCursor = (value: string): string => Buffer.from(value).toString('base64url');

export function decodeTextCursor(cursor: string, pattern: RegExp): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!pattern.test(value)) throw invalidCursor();
  return value;
}

export const encodeJsonCursor = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function parseJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
}

export interface KeyShape {
  /** Exactly these attributes (table key + index key of the query). */
  attributes: readonly string[];
  /** Attributes whose value must be exactly this (the query's partition key values). */
  equal?: Readonly<Record<string, string>>;
}

/** Checks a decoded value is a key of `shape`; throws `invalid_cursor` otherwise. */
export function checkKey(value: unknown, shape: KeyShape): Item {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCursor();
  const names = Object.keys(value);
  if (names.length !== shape.attributes.length || !shape.attributes.every((name) => Object.hasOwn(value, name))) {
    throw invalidCursor();
  }
  for (const name of shape.attributes) {
    const attribute: unknown = (value as Record<string, unknown>)[name];
    if (typeof attribute !== 'string' || attribute.length === 0 || attribute.length > MAX_VALUE_LENGTH) {
      throw invalidCursor();
    }
    const expected = shape.equal?.[name];
    if (expected !== undefined && attribute !== expected) throw invalidCursor();
  }
  return value as Item;
}

export function decodeKeyCursor(cursor: string, shape: KeyShape): Item {
  return checkKey(parseJson(cursor), shape);
}

/** A JSON cursor of any shape, validated by `parse` (which throws `invalidCursor()` itself or returns the value). */
export function decodeJsonCursor<T>(cursor: string, parse: (value: unknown) => T): T {
  return parse(parseJson(cursor));
}
