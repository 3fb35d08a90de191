import type { Health, Latency } from './traffic-graph.js';

/**
 * `weft stat`'s contract, served by the control plane on :8084 (see traffic-graph.ts for
 * the rest of the UI's API):
 *
 *   GET /api/v1/stats?by=<workload|pod|namespace>&namespace=<ns>&name=<name>&window=<s> → StatsTable
 *
 * `by` defaults to 'workload'; `window` follows the graph's rules (windowLimits); `namespace`
 * and `name` only narrow the rows. A bad value is answered 400 with `{ error: <reason> }`.
 * Rows are the golden metrics of each destination's *inbound* traffic inside the mesh (a peer
 * outside it has none), sorted by namespace then name. When both ends of a connection report
 * it, a pod's figures are its own agent's, so nothing is counted twice.
 */

/** What `GET /api/v1/stats?by=` groups inbound traffic by. */
export type StatsGrouping = 'workload' | 'pod' | 'namespace';

export interface StatsRow {
  /** For 'namespace' rows: the namespace itself. */
  namespace: string;
  /** Workload name, pod name, or namespace name. */
  name: string;
  /** Inbound traffic over the window, as its destination's agent accounted it (else the source's). */
  requestsPerSecond: number;
  /** Non-5xx share of responses; null without responses. */
  successRate: number | null;
  /** Milliseconds (p50/p95/p99); null without requests. */
  latency: Latency | null;
  /** Share of inbound requests (connections when there were no requests) that came over mTLS; null when idle. */
  mtlsShare: number | null;
  /** Both directions. */
  bytesPerSecond: number;
  connectionsPerSecond: number;
  health: Health;
  /** Distinct SPIFFE identities the row's pods served as, sorted. */
  identities: string[];
}

export interface StatsTable {
  /** The window's end, milliseconds since the epoch. */
  at: number;
  windowSeconds: number;
  by: StatsGrouping;
  /** Only rows with traffic in the window; rates are over the window, or since first seen when shorter. */
  rows: StatsRow[];
}
