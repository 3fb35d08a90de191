/**
 * How long the live connection waits before its next attempt: doubling from `initialMs` up
 * to `maxMs`, with ± `jitter` so that many open tabs do not all hammer a restarted control
 * plane in the same instant. `reset()` after a connection that worked.
 */
export interface ReconnectBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** A share of the delay, 0 to 1. */
  jitter?: number;
  /** Returns [0, 1); injectable so tests are exact. */
  random?: () => number;
}

export class ReconnectBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempts = 0;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 15_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The delay before the next attempt, in ms; counts one more attempt. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempts);
    this.#attempts++;
    const spread = base * this.#jitter * (2 * this.#random() - 1);
    return Math.round(Math.min(this.#maxMs, Math.max(0, base + spread)));
  }

  reset(): void {
    this.#attempts = 0;
  }
}
