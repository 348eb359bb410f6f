/** The subscriber list a single-process store uses to announce its writes. */
import type { StoreNotice } from './types.js';

export class Notifier {
  readonly #listeners = new Set<(notice: StoreNotice) => void>();

  subscribe(listener: (notice: StoreNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(notice: StoreNotice): void {
    for (const listener of this.#listeners) listener(notice);
  }
}
