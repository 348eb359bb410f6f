/**
 * The jobs the scheduler tracks, column by column. Each job has a slot (reused once the job
 * leaves) in a few flat arrays — its id, tenant, instants and next step — and the slots form a
 * min-heap by next instant that knows each slot's place, so a job leaves or moves in O(log n).
 * The arrays come in blocks of 4,096 slots: doubling arrays of a million slots held the event loop
 * for 40–80 ms while they were copied.
 *
 * A tracked job is thus no object of its own, only its id string. An object per job (an entry
 * plus its three instants, each boxed as a heap number) made loading a million jobs at a start
 * leave five million young objects that all survive: each young-generation collection copied
 * them, holding the event loop for 20–30 ms at a time.
 */
import { ShardedMap } from '../collections/sharded-map.js';

const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;
const MASK = BLOCK - 1;

/** 4,096 slots' columns. A free slot's id is ''. */
class Block {
  readonly ids: string[] = [];
  readonly tenants: string[] = [];
  readonly createdAt = new Float64Array(BLOCK);
  readonly finishAt = new Float64Array(BLOCK);
  readonly at = new Float64Array(BLOCK);
  readonly step = new Uint8Array(BLOCK);
  /** The slot's position in the heap. */
  readonly place = new Int32Array(BLOCK);
}

export class TrackedJobs {
  readonly #slotOf = new ShardedMap<number>();
  readonly #blocks: Block[] = [];
  #slots = 0;
  readonly #free: number[] = [];
  /** Heap position → slot, in blocks of 4,096 positions. */
  readonly #heap: Int32Array[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    return this.#slotOf.has(id);
  }

  /** The job's slot, or -1. */
  slotOf(id: string): number {
    return this.#slotOf.get(id) ?? -1;
  }

  /** The slot with the earliest instant, or -1 when none is tracked. */
  earliest(): number {
    return this.#size > 0 ? this.#heap[0]![0]! : -1;
  }

  id(slot: number): string {
    return this.#block(slot).ids[slot & MASK]!;
  }

  tenant(slot: number): string {
    return this.#block(slot).tenants[slot & MASK]!;
  }

  createdAt(slot: number): number {
    return this.#block(slot).createdAt[slot & MASK]!;
  }

  finishAt(slot: number): number {
    return this.#block(slot).finishAt[slot & MASK]!;
  }

  /** The instant of the job's next step. */
  at(slot: number): number {
    return this.#block(slot).at[slot & MASK]!;
  }

  /** The job's next step. */
  step(slot: number): number {
    return this.#block(slot).step[slot & MASK]!;
  }

  /** Tracks a job, or moves it if it is tracked already. */
  set(
    id: string,
    tenant: string,
    createdAt: number,
    finishAt: number,
    step: number,
    at: number,
  ): void {
    const known = this.#slotOf.get(id);
    const slot = known ?? this.#free.pop() ?? this.#newSlot();
    const block = this.#block(slot);
    const k = slot & MASK;
    block.tenants[k] = tenant;
    block.createdAt[k] = createdAt;
    block.finishAt[k] = finishAt;
    if (known !== undefined) return this.move(slot, step, at);
    this.#slotOf.set(id, slot);
    block.ids[k] = id;
    block.step[k] = step;
    block.at[k] = at;
    const i = this.#size++;
    if ((i & MASK) === 0 && this.#heap.length <= i >> BLOCK_BITS)
      this.#heap.push(new Int32Array(BLOCK));
    this.#put(i, slot);
    this.#up(i);
  }

  /** Sets a tracked job's next step and its instant. */
  move(slot: number, step: number, at: number): void {
    const block = this.#block(slot);
    const k = slot & MASK;
    const before = block.at[k]!;
    block.step[k] = step;
    block.at[k] = at;
    const i = block.place[k]!;
    if (at < before) this.#up(i);
    else this.#down(i);
  }

  /** Stops tracking a job; false if it was not tracked. */
  delete(id: string): boolean {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return false;
    this.#slotOf.delete(id);
    const block = this.#block(slot);
    const k = slot & MASK;
    const i = block.place[k]!;
    const last = --this.#size;
    if (i !== last) {
      const moved = this.#slotAt(last);
      this.#put(i, moved);
      // The moved slot may belong above or below its new place.
      this.#up(i);
      this.#down(this.#placeOf(moved));
    }
    if ((last & MASK) === 0 && this.#heap.length > (last >> BLOCK_BITS) + 1) this.#heap.pop();
    block.ids[k] = '';
    block.tenants[k] = '';
    this.#free.push(slot);
    return true;
  }

  #block(slot: number): Block {
    return this.#blocks[slot >> BLOCK_BITS]!;
  }

  #newSlot(): number {
    const slot = this.#slots++;
    if ((slot & MASK) === 0) this.#blocks.push(new Block());
    const block = this.#block(slot);
    block.ids.push('');
    block.tenants.push('');
    return slot;
  }

  #placeOf(slot: number): number {
    return this.#blocks[slot >> BLOCK_BITS]!.place[slot & MASK]!;
  }

  #slotAt(i: number): number {
    return this.#heap[i >> BLOCK_BITS]![i & MASK]!;
  }

  /** Puts a slot at heap position `i` and notes the position. */
  #put(i: number, slot: number): void {
    this.#heap[i >> BLOCK_BITS]![i & MASK] = slot;
    this.#blocks[slot >> BLOCK_BITS]!.place[slot & MASK] = i;
  }

  #up(i: number): void {
    const slot = this.#slotAt(i);
    const at = this.at(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = this.#slotAt(parent);
      if (this.at(above) <= at) break;
      this.#put(i, above);
      i = parent;
    }
    this.#put(i, slot);
  }

  #down(i: number): void {
    const n = this.#size;
    const slot = this.#slotAt(i);
    const at = this.at(slot);
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let child = l;
      let childAt = this.at(this.#slotAt(l));
      if (l + 1 < n) {
        const rightAt = this.at(this.#slotAt(l + 1));
        if (rightAt < childAt) {
          child = l + 1;
          childAt = rightAt;
        }
      }
      if (childAt >= at) break;
      this.#put(i, this.#slotAt(child));
      i = child;
    }
    this.#put(i, slot);
  }
}
