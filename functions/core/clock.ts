/** The time, as the use cases see it: the system clock in the functions, a fixed or moved clock in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
