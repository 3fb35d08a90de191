import type { Health, Latency } from './traffic-graph.js';

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
  /** Milliseconds; null without requests. */
  latency: Latency | null;
  /** Share of inbound requests (connections when there were no requests) that came over mTLS; null when idle. */
  mtlsShare: number | null;
  bytesPerSecond: number;
  connectionsPerSecond: number;
  health: Health;
  /** Distinct SPIFFE identities the row's pods served as, sorted. */
  identities: string[];
}

export interface StatsTable {
  at: number;
  windowSeconds: number;
  by: StatsGrouping;
  rows: StatsRow[];
}
