import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySignal, cumulativeShareRefunded, type PaymentSignal, type PaymentStateView } from '#core/payment-state';

const pending: PaymentStateView = { status: 'pending', amount: 10_000, amountRefunded: 0 };
const step = (state: PaymentStateView, signal: PaymentSignal) => {
  const t = applySignal(state, signal);
  return t.changed ? t.next : state;
};

describe('payment state machine', () => {
  it('pending -> paid -> partially_refunded -> refunded', () => {
    const paid = step(pending, { kind: 'succeeded' });
    expect(paid.status).toBe('paid');
    const partial = step(paid, { kind: 'refunded', amountRefunded: 2_500 });
    expect(partial).toMatchObject({ status: 'partially_refunded', amountRefunded: 2_500 });
    expect(step(partial, { kind: 'refunded', amountRefunded: 10_000 })).toMatchObject({ status: 'refunded' });
  });

  it('never moves backwards: a late failure after success, a late success after refund, a stale refund', () => {
    const paid = step(pending, { kind: 'succeeded' });
    expect(applySignal(paid, { kind: 'failed' }).changed).toBe(false);
    const refunded = step(paid, { kind: 'refunded', amountRefunded: 10_000 });
    expect(applySignal(refunded, { kind: 'succeeded' }).changed).toBe(false);
    const partial = step(paid, { kind: 'refunded', amountRefunded: 6_000 });
    expect(applySignal(partial, { kind: 'refunded', amountRefunded: 3_000 }).changed).toBe(false);
  });

  it('cancels a pending or failed payment for good, never a paid one, and a canceled payment never fails', () => {
    expect(step(pending, { kind: 'canceled' }).status).toBe('canceled');
    const failed = step(pending, { kind: 'failed' });
    const canceled = step(failed, { kind: 'canceled' });
    expect(canceled.status).toBe('canceled');
    expect(applySignal(canceled, { kind: 'failed' }).changed).toBe(false);
    expect(applySignal(canceled, { kind: 'canceled' }).changed).toBe(false);
    const paid = step(pending, { kind: 'succeeded' });
    expect(applySignal(paid, { kind: 'canceled' }).changed).toBe(false);
    expect(applySignal(step(paid, { kind: 'refunded', amountRefunded: 10_000 }), { kind: 'canceled' }).changed).toBe(
      false,
    );
  });

  it('lets a failed payment succeed later (a second payment method on the same PaymentIntent)', () => {
    const failed = step(pending, { kind: 'failed' });
    expect(failed.status).toBe('failed');
    expect(step(failed, { kind: 'succeeded' }).status).toBe('paid');
  });

  it('after any order and duplication of the events, the state is what they imply, and it never moves backwards', () => {
    const signals: PaymentSignal[] = [
      { kind: 'succeeded' },
      { kind: 'failed' },
      { kind: 'refunded', amountRefunded: 1_000 },
      { kind: 'refunded', amountRefunded: 4_000 },
      { kind: 'refunded', amountRefunded: 10_000 },
    ];
    const rank = { pending: 0, failed: 1, canceled: 1, paid: 2, partially_refunded: 3, refunded: 4 } as const;
    /** Written from the rules, not from applySignal: refunds count only once the payment succeeded, the largest wins. */
    const expected = (order: PaymentSignal[]): PaymentStateView => {
      const succeededAt = order.findIndex((s) => s.kind === 'succeeded');
      if (succeededAt < 0) {
        return { ...pending, status: order.some((s) => s.kind === 'failed') ? 'failed' : 'pending' };
      }
      const refunded = Math.max(
        0,
        ...order.slice(succeededAt).map((s) => (s.kind === 'refunded' ? s.amountRefunded : 0)),
      );
      const status = refunded === 0 ? 'paid' : refunded >= pending.amount ? 'refunded' : 'partially_refunded';
      return { ...pending, status, amountRefunded: refunded };
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...signals), { maxLength: 12 }), (order) => {
        // The shuffled, duplicated sequence alone, step by step.
        let state = pending;
        for (const signal of order) {
          const next = step(state, signal);
          expect(rank[next.status]).toBeGreaterThanOrEqual(rank[state.status]);
          expect(next.amountRefunded).toBeGreaterThanOrEqual(state.amountRefunded);
          state = next;
        }
        expect(state).toEqual(expected(order));
        // Stripe retries what was refused: once everything has been delivered again, every order ends alike.
        const redelivered = signals.filter((s) => s.kind !== 'failed').reduce(step, state);
        expect(redelivered).toEqual({ ...pending, status: 'refunded', amountRefunded: 10_000 });
      }),
      { numRuns: 500, seed: 20_261_130 },
    );
  });
});

describe('refund share', () => {
  it('partial refunds add up exactly to the full share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 99_999_999 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 5 }),
        (amount, bps, parts) => {
          const fee = Math.floor((amount * bps) / 10_000);
          let refunded = 0;
          let shareSoFar = 0;
          for (const part of [...parts, amount]) {
            refunded = Math.min(amount, refunded + part);
            const cumulative = cumulativeShareRefunded(amount, fee, refunded);
            if (cumulative < shareSoFar) return false; // monotonic
            shareSoFar = cumulative;
          }
          return shareSoFar === amount - fee;
        },
      ),
    );
  });
});
