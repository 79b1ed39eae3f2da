import * as z from 'zod';
import { dynamoReconciliationStore } from '#adapters/dynamodb/reconciliation-store';
import { fail } from '#core/errors';
import { DISCREPANCY_KINDS, discrepanciesCsv, parseDay } from '#core/reconciliation';
import { httpHandler } from '#middleware/http-handler';

const Path = z.strictObject({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .describe('A UTC day, YYYY-MM-DD.'),
});
const Query = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
/** `GET /admin/reconciliation/{date}[?format=csv]` (admin group). */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['invalid_date', 'reconciliation_not_found'],
    path: Path,
    query: Query,
    summary: "A day's reconciliation report and discrepancies (`?format=csv`: the discrepancies)",
    responses: () => {
      const Kind = z.enum(Object.keys(DISCREPANCY_KINDS) as [keyof typeof DISCREPANCY_KINDS]);

      const Report = z
        .strictObject({
          date: z.string(),
          report: z
            .strictObject({
              date: z.string(),
              runId: z
                .string()
                .describe('The run that wrote this report: the schedule event’s id, or `cli-…` for a run by hand.'),
              transfersChecked: z.number().int(),
              payoutsChecked: z.number().int(),
              connectedPayoutsChecked: z.number().int(),
              discrepancies: z.number().int(),
              byKind: z.record(z.string(), z.number().int()),
              startedAt: z.string(),
              finishedAt: z.string(),
              durationMs: z.number(),
            })
            .describe('The latest run for the day.'),
          discrepancies: z.array(
            z.strictObject({
              id: z.string(),
              date: z.string(),
              kind: Kind,
              stripeId: z.string().nullable(),
              recordId: z.string().nullable(),
              partnerId: z.string().nullable(),
              currency: z.string().nullable(),
              expected: z.number().nullable(),
              actual: z.number().nullable(),
              detail: z.string(),
            }),
          ),
        })
        .describe("The day's reconciliation report and every discrepancy found for it.");
      return {
        200: [
          Report,
          {
            contentType: 'text/csv; charset=utf-8',
            description:
              '`?format=csv`: one line per discrepancy (date, kind, stripeId, recordId, partnerId, currency, ' +
              'expected, actual, detail).',
          },
        ],
      };
    },
  },
  async ({ path, query }) => {
    const { date } = parseDay(path.date);
    const { report, discrepancies } = await dynamoReconciliationStore.get(date);
    if (!report) {
      fail('reconciliation_not_found', `No reconciliation has run for ${date}.`);
    }
    if (query.format === 'json') return { status: 200, body: { date, report, discrepancies } };
    return {
      status: 200,
      body: discrepanciesCsv(discrepancies),
      contentType: 'text/csv; charset=utf-8',
      headers: { 'content-disposition': `attachment; filename="reconciliation-${date}.csv"` },
    };
  },
);
