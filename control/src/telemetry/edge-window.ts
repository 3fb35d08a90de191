import { latencyBoundsMs, type EdgeDelta, type Latency } from '@weft/api';

/** The store's resolution and reach: 5 s slots, 15 minutes. */
export const slotMs = 5000;
export const windowSlots = 180;

const buckets = latencyBoundsMs.length + 1;
/** Fields of one slot: requests, 5 response classes, bytes, connections, then the latency buckets. */
const requests = 0;
const classes = 1;
const bytes = 6;
const connections = 7;
const latency = 8;
const fields = latency + buckets;

/** What an edge did over some slots. */
export interface EdgeTotals {
  requests: number;
  /** 1xx … 5xx */
  responses: [number, number, number, number, number];
  bytes: number;
  connections: number;
  latencyCounts: number[];
}

export function emptyTotals(): EdgeTotals {
  return { requests: 0, responses: [0, 0, 0, 0, 0], bytes: 0, connections: 0, latencyCounts: new Array<number>(buckets).fill(0) };
}

export function addTotals(into: EdgeTotals, more: EdgeTotals): void {
  into.requests += more.requests;
  for (let i = 0; i < 5; i++) into.responses[i] = (into.responses[i] ?? 0) + (more.responses[i] ?? 0);
  into.bytes += more.bytes;
  into.connections += more.connections;
  for (let i = 0; i < buckets; i++) into.latencyCounts[i] = (into.latencyCounts[i] ?? 0) + (more.latencyCounts[i] ?? 0);
}

/**
 * The latency below which a share `q` of the requests finished, interpolated linearly
 * inside its bucket (as Prometheus' histogram_quantile does); the last, open bucket
 * answers its lower bound.
 */
export function quantileMs(counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (seen + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : (latencyBoundsMs[i - 1] ?? 0);
      const upper = latencyBoundsMs[i];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - seen)) / inBucket;
    }
    seen += inBucket;
  }
  return latencyBoundsMs.at(-1) ?? 0;
}

export function latencyOf(totals: EdgeTotals): Latency | null {
  if (totals.latencyCounts.every((c) => c === 0)) return null;
  return { p50: quantileMs(totals.latencyCounts, 0.5), p95: quantileMs(totals.latencyCounts, 0.95), p99: quantileMs(totals.latencyCounts, 0.99) };
}

/**
 * One edge's last 15 minutes, one slot per 5 s in a ring: a slot is reused once its time
 * has passed out of the window, so memory is fixed per edge whatever the traffic.
 */
export class EdgeWindow {
  readonly #slots = new Float64Array(windowSlots * fields);
  /** The slot number (time / slotMs) each ring position holds; -1 for none. */
  readonly #slotOf = new Float64Array(windowSlots).fill(-1);
  mtls = false;
  lastSlot = -1;

  add(delta: EdgeDelta, atMs: number): void {
    const slot = Math.floor(atMs / slotMs);
    const at = slot % windowSlots;
    const base = at * fields;
    if (this.#slotOf[at] !== slot) {
      this.#slots.fill(0, base, base + fields);
      this.#slotOf[at] = slot;
    }
    const s = this.#slots;
    s[base + requests] = (s[base + requests] ?? 0) + delta.requests;
    for (let i = 0; i < 5; i++) s[base + classes + i] = (s[base + classes + i] ?? 0) + (delta.responsesByClass[i] ?? 0);
    s[base + bytes] = (s[base + bytes] ?? 0) + delta.bytesSent + delta.bytesReceived;
    s[base + connections] = (s[base + connections] ?? 0) + delta.connectionsOpened;
    for (let i = 0; i < buckets; i++) s[base + latency + i] = (s[base + latency + i] ?? 0) + (delta.latencyCounts[i] ?? 0);
    this.mtls ||= delta.mtls;
    this.lastSlot = Math.max(this.lastSlot, slot);
  }

  /** The totals of the slots from `fromMs` (inclusive) to `toMs` (exclusive). */
  sum(fromMs: number, toMs: number): EdgeTotals {
    const totals = emptyTotals();
    const first = Math.floor(fromMs / slotMs);
    const last = Math.ceil(toMs / slotMs) - 1;
    for (let slot = Math.max(first, last - windowSlots + 1); slot <= last; slot++) {
      const at = ((slot % windowSlots) + windowSlots) % windowSlots;
      if (this.#slotOf[at] !== slot) continue;
      const base = at * fields;
      const s = this.#slots;
      totals.requests += s[base + requests] ?? 0;
      for (let i = 0; i < 5; i++) totals.responses[i] = (totals.responses[i] ?? 0) + (s[base + classes + i] ?? 0);
      totals.bytes += s[base + bytes] ?? 0;
      totals.connections += s[base + connections] ?? 0;
      for (let i = 0; i < buckets; i++) totals.latencyCounts[i] = (totals.latencyCounts[i] ?? 0) + (s[base + latency + i] ?? 0);
    }
    return totals;
  }
}
