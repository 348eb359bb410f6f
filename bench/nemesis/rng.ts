/** A seeded pseudo-random source (mulberry32 over an FNV-1a hash of the seed): a run repeats its choices. */
export type Rng = () => number;

export function createRng(seed: string): Rng {
  let state = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x01000193);
  state >>>= 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A number uniformly in [min, max). */
export const between = (rng: Rng, min: number, max: number): number => min + rng() * (max - min);

/** An element chosen by weight. */
export function pick<T>(rng: Rng, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((n, [, w]) => n + w, 0);
  let x = rng() * total;
  for (const [value, weight] of weighted) {
    x -= weight;
    if (x < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

/** A deterministic number in [0, 1) for a string (the receiver's per-delivery choices). */
export function hashUnit(text: string): number {
  return createRng(text)();
}
