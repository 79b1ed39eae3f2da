import * as z from 'zod';
import { handlerContract } from '#middleware/contract';

const Health = z.strictObject({ status: z.literal('ok') }).describe('The API is up.');

/** The contract of `GET /health` (./health.ts is a bare handler: its bundle carries no zod). */
export const contract = handlerContract({ auth: 'public', summary: 'Liveness', responses: { 200: Health } });
