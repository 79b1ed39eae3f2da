import * as z from 'zod';
import { httpHandler } from '#middleware/http-handler';

const Health = z.strictObject({ status: z.literal('ok') }).describe('The API is up.');

export const handler = httpHandler({ auth: 'public', summary: 'Liveness', responses: { 200: Health } }, async () => ({
  status: 200,
  body: { status: 'ok' },
}));
