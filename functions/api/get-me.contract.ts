import * as z from 'zod';
import { handlerContract } from '#middleware/contract';

const Me = z
  .strictObject({
    sub: z.string().describe('The Cognito sub.'),
    email: z.string().nullable(),
    groups: z.array(z.string()).describe('Cognito groups (`admin` for operators).'),
  })
  .describe('The verified claims of the ID token.');

/** The contract of `GET /me` (./get-me.ts is a bare handler: its bundle carries no zod). */
export const contract = handlerContract({
  auth: 'partner',
  summary: "The caller's claims (sub, email, groups)",
  responses: { 200: Me },
});
