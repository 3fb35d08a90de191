/**
 * The UI's contract: what the control plane serves on :8084 and the web app (ui/) draws.
 *
 *   GET  /api/v1/graph?window=<seconds>&namespace=<ns>   → TrafficGraph
 *   GET  /api/v1/workloads/<namespace>/<name>?window=<s> → WorkloadDetail (404 if unknown)
 *   GET  /api/v1/stats?by=<workload|pod|namespace>&namespace=<ns>&name=<name>&window=<s>
 *                                                         → StatsTable (stats-table.ts; `weft stat`)
 *   WS   /api/v1/live                                     → LiveMessage, every `intervalSeconds`;
 *                                                           the client may send a LiveRequest
 *   GET  /  (and any other path)                          → the web app
 *
 * Windows are 10 to 900 seconds (default 60); anything else is answered 400 with a reason.
 * All figures come from the agents' telemetry, kept 15 minutes in the control plane's
 * memory: no Prometheus is involved.
 */

/** How well an edge (or a workload's inbound traffic) is doing. */
export type Health = 'healthy' | 'degraded' | 'failing' | 'idle';

/** Success rate at or above which traffic is healthy, and below which it is failing. */
export const healthThresholds = { healthy: 0.99, failing: 0.95 } as const;

export function healthOf(successRate: number | null, requestsPerSecond: number): Health {
  if (requestsPerSecond === 0 || successRate === null) return 'idle';
  if (successRate >= healthThresholds.healthy) return 'healthy';
  return successRate < healthThresholds.failing ? 'failing' : 'degraded';
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

/** A workload: pods grouped by what owns them (a Deployment, StatefulSet, DaemonSet…, else the pod itself). */
export interface GraphNode {
  /** "<namespace>/<name>"; "outside/<address>" for a destination outside the mesh. */
  id: string;
  namespace: string;
  name: string;
  kind: 'workload' | 'outside';
  /** The SPIFFE identities its pods run as. */
  identities: string[];
  /** Its inbound traffic over the window: how it is doing as a destination. */
  health: Health;
}

export interface GraphEdge {
  /** "<source id>-><target id>" */
  id: string;
  source: string;
  target: string;
  /** 'http' when requests were seen (HTTP/1.1, HTTP/2, gRPC), else 'tcp'. */
  protocol: 'http' | 'tcp';
  requestsPerSecond: number;
  /** Share of responses that were not 5xx (gRPC: status OK-ish); null without responses. */
  successRate: number | null;
  /** Milliseconds; null without requests. */
  latency: Latency | null;
  /** Both directions. */
  bytesPerSecond: number;
  connectionsPerSecond: number;
  /** Whether the traffic crossed the mesh in mutual TLS (a lock in the map). */
  mtls: boolean;
  health: Health;
}

export interface TrafficGraph {
  /** The window's end, milliseconds since the epoch. */
  at: number;
  windowSeconds: number;
  /** Every namespace of the retained window (for the filter), sorted. */
  namespaces: string[];
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface WorkloadSample {
  at: number;
  requestsPerSecond: number;
  successRate: number | null;
  latency: Latency | null;
}

export interface WorkloadDetail {
  workload: GraphNode;
  stepSeconds: number;
  /** Its inbound traffic over time, oldest first. */
  series: WorkloadSample[];
  inbound: GraphEdge[];
  outbound: GraphEdge[];
}

/** Server → client over /api/v1/live. */
export type LiveMessage = { type: 'graph'; graph: TrafficGraph; intervalSeconds: number } | { type: 'error'; message: string };

/** Client → server: what to watch from now on (defaults: 60 s, every namespace). */
export interface LiveRequest {
  type: 'watch';
  windowSeconds?: number;
  namespace?: string;
}

export const windowLimits = { min: 10, max: 900, default: 60 } as const;
