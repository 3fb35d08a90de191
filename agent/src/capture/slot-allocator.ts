import { WeftError } from '@weft/api';

/** Hands out the integers 0..capacity-1; released ones are handed out again. */
export class SlotAllocator {
  readonly #free: number[];
  readonly #used = new Set<number>();

  constructor(capacity: number) {
    this.#free = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
  }

  take(): number {
    const slot = this.#free.pop();
    if (slot === undefined) {
      throw new WeftError('WEFT_CAPTURE_FULL', `all ${this.#used.size} capture slots are in use`, {
        hint: 'this node has more enrolled pods than the agent supports (WEFT_MAX_PODS in bpf/include/weft_maps.h)',
      });
    }
    this.#used.add(slot);
    return slot;
  }

  /** Marks a slot as taken (one a previous agent's pod holds). */
  reserve(slot: number): void {
    const index = this.#free.indexOf(slot);
    if (index < 0) return;
    this.#free.splice(index, 1);
    this.#used.add(slot);
  }

  release(slot: number): void {
    if (this.#used.delete(slot)) this.#free.push(slot);
  }
}
