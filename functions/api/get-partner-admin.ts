import * as z from 'zod';
import { partnerMoneyControls } from '#core/operator';
import { adminPartnerView } from '#core/partner-views';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { operatorDepsForRequest } from '#middleware/operator-request';
import { PartnerId } from '#middleware/partner-request';
import { operatorSchemas } from './schemas/operator.ts';

const Path = z.strictObject({ partnerId: PartnerId });

/**
 * `GET /admin/partners/{partnerId}` (admin group): the partner as operators see it, its payout hold and every
 * operator action on its money (who, why, when), newest first.
 */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['partner_not_found'],
    path: Path,
    query: NoQuery,
    summary: 'A partner, its payout hold and operator actions (admin)',
    responses: () => {
      const { PartnerMoneyControls } = operatorSchemas();
      return { 200: PartnerMoneyControls };
    },
  },
  async ({ path }) => {
    const view = await partnerMoneyControls(operatorDepsForRequest(), path.partnerId);
    return {
      status: 200,
      body: {
        partner: adminPartnerView(view.partner),
        payoutHold: view.payoutHold,
        operatorActions: view.operatorActions,
      },
    };
  },
);
