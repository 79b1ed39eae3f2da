import * as z from 'zod';
import { fail } from '#core/errors';
import { BASIS_POINTS } from '#core/money';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { PartnerId } from '#middleware/partner-request';
import { paymentDepsForRequest } from '#middleware/payment-request';

const Path = z.strictObject({ partnerId: PartnerId });
/** `{ bps, minimumFee? }` sets the partner's fee; `{ bps: null }` returns the partner to the platform default. */
const Body = z.strictObject({
  bps: z.number().int().min(0).max(BASIS_POINTS).nullable(),
  minimumFee: z.number().int().min(0).max(99_999_999).optional(),
});

/** `PUT /admin/partners/{partnerId}/fee-policy` (admin group): a per-partner platform fee (e.g. 300 = 3 %). */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['partner_not_found'],
    path: Path,
    body: Body,
    query: NoQuery,
    summary: "A partner's platform fee override",
    responses: () => {
      const FeePolicySet = z
        .strictObject({
          partnerId: z.string(),
          feePolicy: z.strictObject({
            bps: z.number().int().describe('Platform fee in basis points (300 = 3 %).'),
            minimumFee: z.number().int().optional().describe('Floor in minor units of the charge currency, if any.'),
          }),
          default: z.boolean().describe("True when the partner is back on the platform's default fee."),
        })
        .describe("The partner's fee policy now in force.");
      return { 200: FeePolicySet };
    },
  },
  async ({ path, body }) => {
    const d = paymentDepsForRequest();
    if (!(await d.partners.get(path.partnerId))) {
      fail('partner_not_found');
    }
    if (body.bps === null) {
      await d.feePolicies.remove(path.partnerId);
      return { status: 200, body: { partnerId: path.partnerId, feePolicy: d.settings.defaultFee, default: true } };
    }
    const policy = { bps: body.bps, ...(body.minimumFee !== undefined ? { minimumFee: body.minimumFee } : {}) };
    await d.feePolicies.put(path.partnerId, policy, d.clock.now().toISOString());
    return { status: 200, body: { partnerId: path.partnerId, feePolicy: policy, default: false } };
  },
);
