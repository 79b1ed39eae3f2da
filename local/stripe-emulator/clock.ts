/** Emulator time: a base clock (injectable) plus an offset that the control API can advance. */
export class EmulatorClock {
  private offsetMs = 0;

  constructor(private readonly base: () => number = Date.now) {}

  nowMs(): number {
    return this.base() + this.offsetMs;
  }

  /** Stripe timestamps are whole seconds since the epoch. */
  nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(seconds: number): void {
    this.offsetMs += Math.round(seconds * 1000);
  }

  reset(): void {
    this.offsetMs = 0;
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }
}
