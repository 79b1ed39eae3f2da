import * as z from 'zod';
import { operatorDeps } from '#adapters/operator-deps';
import type { Operator, OperatorDeps } from '#core/operator';
import type { Identity } from './identity.ts';

/** Operator routes: the deps, who is acting (from the verified token only), and the shared body pieces. */
export const operatorDepsForRequest = (): OperatorDeps => operatorDeps();

export const operatorOf = (identity: Identity): Operator => ({ sub: identity.sub, email: identity.email ?? null });

/** Why the operator acts: required on every action, kept with it. */
export const Reason = z.string().trim().min(3).max(500);

/** `po_<period>_<currency>_<partnerId>`. */
export const PayoutId = z
  .string()
  .regex(/^po_\d{4}-\d{2}_[a-z]{3}_ptn_[a-f0-9]{24}$/, 'expected a payout id (po_<period>_<currency>_ptn_…)');
