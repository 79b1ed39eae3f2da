import { httpHandler } from '#middleware/http-handler';

export const handler = httpHandler({ auth: 'public' }, async () => ({ status: 200, body: { status: 'ok' } }));
