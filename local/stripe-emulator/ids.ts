const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** mulberry32: small, fast, seedable; ids and fault dice must be reproducible under a fixed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ids look like Stripe's (`tr_` + 24 base62 chars). The first characters encode a counter so ids are unique and
 * sort by creation within one emulator run; the rest is random so they look realistic and never repeat a prior run
 * unless a seed is given.
 */
export class IdGenerator {
  private counter = 0;
  readonly random: () => number;

  constructor(seed?: number) {
    this.random = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  chars(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(this.random() * ALPHABET.length)];
    return out;
  }

  next(prefix: string, length = 24): string {
    this.counter += 1;
    let n = this.counter;
    let encoded = '';
    do {
      encoded = ALPHABET[n % 62] + encoded;
      n = Math.floor(n / 62);
    } while (n > 0);
    const head = `1${encoded.padStart(5, '0')}`;
    return `${prefix}_${head}${this.chars(Math.max(0, length - head.length))}`;
  }

  reset(): void {
    this.counter = 0;
  }
}
