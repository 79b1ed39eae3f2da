import { bareHandler } from '#middleware/bare-handler';

/** `GET /health`: liveness (its contract: ./health.contract.ts). */
export const handler = bareHandler('public', () => ({ status: 200, body: { status: 'ok' } }));
