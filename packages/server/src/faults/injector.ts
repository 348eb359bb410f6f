/**
 * Decides, request by request, which fault (if any) to inject. Decisions come from a seeded random
 * source kept apart from the simulator's, so a `VT_SEED` run is repeatable and turning faults on
 * does not change which jobs fail.
 */
import { createRandom, type Random } from '../sim/rng.js';
import type { FaultSpec } from './spec.js';

export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'status'; latencyMs: number; status: number }
  /** Close the connection: `cut` is the share of the answer sent first (0: nothing at all). */
  | { kind: 'reset'; latencyMs: number; cut: number }
  /** Declare the full length, send `cut` (0 ≤ cut < 1) of the body, then close. */
  | { kind: 'truncate'; latencyMs: number; cut: number };

/** Counts of injected faults, for tests and the chaos bench. */
export interface FaultCounts {
  requests: number;
  status: number;
  reset: number;
  truncate: number;
  delayed: number;
}

export class FaultInjector {
  readonly #random: Random;
  readonly counts: FaultCounts = { requests: 0, status: 0, reset: 0, truncate: 0, delayed: 0 };

  constructor(
    readonly spec: FaultSpec,
    seed: string | undefined,
  ) {
    this.#random = createRandom(seed === undefined ? undefined : `${seed}:faults`);
  }

  /** Whether requests with this method and path can receive faults (never health or metrics). */
  applies(method: string, path: string): boolean {
    if (this.spec.methods && !this.spec.methods.includes(method.toUpperCase())) return false;
    return path === '/status' || path === '/v1' || path.startsWith('/v1/');
  }

  decide(): FaultDecision {
    this.counts.requests++;
    const latency = this.spec.latencyMs;
    const latencyMs = latency
      ? Math.round(latency[0] + (latency[1] - latency[0]) * this.#random())
      : 0;
    if (latencyMs > 0) this.counts.delayed++;
    let roll = this.#random();
    for (const { status, probability } of this.spec.statuses) {
      if (roll < probability) {
        this.counts.status++;
        return { kind: 'status', latencyMs, status };
      }
      roll -= probability;
    }
    if (roll < this.spec.resetProbability) {
      this.counts.reset++;
      // A third of resets send nothing, the rest part of the answer (from the headers on).
      const cut = this.#random() < 1 / 3 ? 0 : this.#random();
      return { kind: 'reset', latencyMs, cut };
    }
    roll -= this.spec.resetProbability;
    if (roll < this.spec.truncateProbability) {
      this.counts.truncate++;
      return { kind: 'truncate', latencyMs, cut: this.#random() };
    }
    return { kind: 'none', latencyMs };
  }
}
