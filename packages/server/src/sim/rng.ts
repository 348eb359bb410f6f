/** A small seeded pseudo-random source (mulberry32), so a `VT_SEED` run can be repeated. */
export type Random = () => number;

function hashSeed(seed: string): number {
  // FNV-1a: spreads any seed string over 32 bits.
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Returns a generator of floats in [0, 1); deterministic for a given seed. */
export function createRandom(seed: string | undefined): Random {
  if (seed === undefined) return Math.random;
  let state = hashSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
