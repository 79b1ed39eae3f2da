import * as z from 'zod';
import { platformWebhookDeps } from '#adapters/platform-webhook-deps';
import { rotateEndpointSecret } from '#core/platform-webhooks';
import { httpHandler, NoQuery } from '#middleware/http-handler';
import { EndpointId } from './schemas-events.ts';

const Path = z.strictObject({ endpointId: EndpointId });
/** `POST /admin/webhook-endpoints/{endpointId}/rotate-secret` (admin group). */
export const handler = httpHandler(
  {
    auth: 'admin',
    errors: ['endpoint_not_found', 'concurrent_rotation'],
    path: Path,
    query: NoQuery,
    summary: "Rotate a webhook endpoint's signing secret",
    responses: () => {
      const Rotated = z
        .strictObject({
          id: z.string(),
          secret: z.string().describe('The new signing secret, shown only now.'),
          previousSecretExpiresAt: z
            .string()
            .nullable()
            .describe('Until then deliveries are signed with both secrets.'),
        })
        .describe('The new secret (shown once); the previous one stays valid for 24 hours.');
      return { 200: Rotated };
    },
  },
  async ({ path }) => ({ status: 200, body: await rotateEndpointSecret(platformWebhookDeps(), path.endpointId) }),
);
