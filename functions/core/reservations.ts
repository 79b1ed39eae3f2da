import type { PaymentStatus } from './payment-state.ts';

/**
 * What an order holds of its listings' capacity, moved only together with its payment's status (in the same
 * compare-and-set transaction as the settlement), so a duplicated, late or reordered webhook cannot move the
 * counters twice:
 *
 *   held ──► sold ──► released   (paid, then fully refunded)
 *     └──────────────► released  (Checkout Session expired, PaymentIntent canceled)
 *   released ──► sold            (a payment that succeeds after its session was given up: sold anyway)
 *
 * A failed attempt keeps the reservation (Checkout lets the customer try another card until the session expires).
 * A partial refund keeps the tickets sold: a refund names an amount, not the items it covers.
 */
export type ReservationState = 'held' | 'sold' | 'released';

/** How one line's quantity moves the listing's counters. */
export interface CounterDelta {
  reserved: number;
  sold: number;
  taken: number;
}

export interface ReservationLine {
  listingId: string;
  quantity: number;
}

export interface ReservationMove {
  from: ReservationState;
  to: ReservationState;
  lines: { listingId: string; delta: CounterDelta }[];
}

/** The reservation each payment status means. */
const TARGET: Readonly<Record<PaymentStatus, ReservationState>> = {
  pending: 'held',
  failed: 'held',
  canceled: 'released',
  paid: 'sold',
  partially_refunded: 'sold',
  refunded: 'released',
};

const none = { reserved: 0, sold: 0, taken: 0 };

/** Per unit of quantity; `null` = a move that cannot happen (the payment state machine never goes back). */
const MOVES: Readonly<Record<ReservationState, Readonly<Record<ReservationState, CounterDelta | null>>>> = {
  held: { held: none, sold: { reserved: -1, sold: 1, taken: 0 }, released: { reserved: -1, sold: 0, taken: -1 } },
  sold: { held: null, sold: none, released: { reserved: 0, sold: -1, taken: -1 } },
  released: { held: null, sold: { reserved: 0, sold: 1, taken: 1 }, released: none },
};

/** The counter changes that bring an order's reservation in line with its payment's new status, or null. */
export function planReservationMove(
  current: ReservationState,
  status: PaymentStatus,
  lines: readonly ReservationLine[],
): ReservationMove | null {
  const to = TARGET[status];
  const unit = MOVES[current][to];
  if (to === current || unit === null || lines.length === 0) return null;
  return {
    from: current,
    to,
    lines: lines.map((line) => ({
      listingId: line.listingId,
      delta: {
        reserved: unit.reserved * line.quantity,
        sold: unit.sold * line.quantity,
        taken: unit.taken * line.quantity,
      },
    })),
  };
}
