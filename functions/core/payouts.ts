/**
 * The monthly payout run, in one import: the model (`payout-model.ts`), the ports (`payout-ports.ts`), the run
 * (`payout-run.ts`), the dry run (`payout-dry-run.ts`), sending (`payout-send.ts`), reversals (`payout-reversal.ts`)
 * and the pure plans of every transition (`payout-transitions.ts`).
 */
export * from './payout-dry-run.ts';
export * from './payout-model.ts';
export * from './payout-ports.ts';
export * from './payout-reversal.ts';
export * from './payout-run.ts';
export * from './payout-send.ts';
