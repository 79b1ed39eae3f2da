import * as z from 'zod';
import { lazily } from '#middleware/contract';

/**
 * Building blocks of the response schemas (the API contract). Conventions, kept the same everywhere:
 * - every object is `z.strictObject`, so a field a handler answers without documenting it fails the tests;
 * - `.nullable()` for a field that is always present and may be null, `.optional()` only for a field that may be
 *   absent; nothing is both;
 * - `.describe()` says what a field or a response is; the response's own description comes from its schema.
 */

/** The building blocks, built when a contract is read (never at a function's cold start). */
export const commonSchemas = lazily(() => {
  /** A lower-case ISO 4217 currency code, as the API answers it (`usd`). */
  const Currency = z
    .string()
    .regex(/^[a-z]{3}$/)
    .describe('Lower-case ISO 4217 currency code.');

  /** An amount in minor units of its currency (cents; yen for `jpy`). */
  const MinorUnits = z.number().int().describe('Integer minor units of the currency.');

  /** An ISO 8601 instant (UTC, `…Z`). */
  const Instant = z.iso.datetime({ offset: true });

  /** The platform's own reference of a record (its job, event or order id), shown only to who owns the record. */
  const PlatformReference = z
    .string()
    .nullable()
    .describe("The platform's own reference (its id of a job, an event, a store order); null when none was given.");

  /** The platform's own metadata of a record. */
  const PlatformMetadata = z.record(z.string(), z.string()).describe("The platform's own metadata.");

  /** The opaque cursor of the next page, or null on the last page. */
  const NextCursor = z.string().nullable().describe('Pass as `?cursor=` for the next page; null on the last one.');
  return { Currency, MinorUnits, Instant, PlatformReference, PlatformMetadata, NextCursor };
});

/**
 * Compile-time check that a view function answers exactly what its schema describes: what the function returns
 * (`_View`) must be assignable to the schema's output and have no field the schema lacks. Use as
 * `export type FooBody = Described<typeof Foo, ReturnType<typeof fooView>>`.
 */
export type Described<
  S extends z.ZodType,
  _View extends z.output<S> & Record<Exclude<keyof _View, keyof z.output<S>>, never>,
> = z.output<S>;
