import * as wire from '../gen/weft/telemetry/v1/telemetry.js';
import { WeftError } from '../weft-error.js';

/**
 * Telemetry in Weft's own terms (contract: api/proto/weft/telemetry/v1/telemetry.proto):
 * what an agent saw of each edge during an interval. Converted from and to protobuf here
 * only.
 */

/** Upper bounds (ms) of the latency buckets every agent uses; one more bucket holds the rest. */
export const latencyBoundsMs: readonly number[] = Object.freeze([0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);

export interface TelemetryPeer {
  /** '' outside the mesh. */
  namespace: string;
  /** The pod's name; outside the mesh, its address. */
  name: string;
  /** '' outside the mesh. */
  uid: string;
  identity: string;
}

export interface EdgeDelta {
  source: TelemetryPeer;
  destination: TelemetryPeer;
  reporter: 'source' | 'destination';
  mtls: boolean;
  requests: number;
  /** 1xx … 5xx (gRPC errors as 5xx). */
  responsesByClass: [number, number, number, number, number];
  /** One count per bound of latencyBoundsMs, then one for everything above. */
  latencyCounts: number[];
  bytesSent: number;
  bytesReceived: number;
  connectionsOpened: number;
}

export interface EdgeReport {
  intervalEndMs: number;
  intervalMs: number;
  edges: EdgeDelta[];
}

export class TelemetryWireError extends WeftError {
  constructor(message: string) {
    super('WEFT_TELEMETRY_BAD_REPORT', message, { hint: 'the agent and the control plane may run different versions of Weft' });
  }
}

const reporters = new Map<wire.Reporter, EdgeDelta['reporter']>([
  [wire.Reporter.REPORTER_SOURCE, 'source'],
  [wire.Reporter.REPORTER_DESTINATION, 'destination'],
]);

const peer = (p: wire.Peer | undefined): TelemetryPeer => ({ namespace: p?.namespace ?? '', name: p?.name ?? '', uid: p?.uid ?? '', identity: p?.identity ?? '' });
const count = (value: bigint): number => Number(value);

export function reportFromWire(report: wire.EdgeReport): EdgeReport {
  const intervalEndMs = Number(report.intervalEndUnixMs);
  if (!Number.isFinite(intervalEndMs) || intervalEndMs <= 0) throw new TelemetryWireError('interval_end_unix_ms must be a time');
  if (report.intervalMs === 0) throw new TelemetryWireError('interval_ms must not be 0');
  const edges = report.edges.map((e, i): EdgeDelta => {
    const reporter = reporters.get(e.reporter);
    if (!reporter) throw new TelemetryWireError(`edges[${i}].reporter: ${e.reporter} is not known`);
    if (e.latencyBucketBoundsMs.length !== latencyBoundsMs.length || e.latencyBucketBoundsMs.some((b, j) => b !== latencyBoundsMs[j])) {
      throw new TelemetryWireError(`edges[${i}]: latency buckets are not Weft's (${latencyBoundsMs.join(', ')} ms)`);
    }
    if (e.latencyBucketCounts.length !== latencyBoundsMs.length + 1) throw new TelemetryWireError(`edges[${i}]: ${latencyBoundsMs.length + 1} latency counts expected`);
    if (e.responsesByClass.length !== 5) throw new TelemetryWireError(`edges[${i}]: 5 response classes expected`);
    const [c1 = 0n, c2 = 0n, c3 = 0n, c4 = 0n, c5 = 0n] = e.responsesByClass;
    return {
      source: peer(e.source),
      destination: peer(e.destination),
      reporter,
      mtls: e.mtls,
      requests: count(e.requests),
      responsesByClass: [count(c1), count(c2), count(c3), count(c4), count(c5)],
      latencyCounts: e.latencyBucketCounts.map(count),
      bytesSent: count(e.bytesSent),
      bytesReceived: count(e.bytesReceived),
      connectionsOpened: count(e.connectionsOpened),
    };
  });
  return { intervalEndMs, intervalMs: report.intervalMs, edges };
}

export function reportToWire(report: EdgeReport): wire.EdgeReport {
  return {
    intervalEndUnixMs: BigInt(Math.round(report.intervalEndMs)),
    intervalMs: report.intervalMs,
    edges: report.edges.map((e) => ({
      source: e.source,
      destination: e.destination,
      reporter: e.reporter === 'source' ? wire.Reporter.REPORTER_SOURCE : wire.Reporter.REPORTER_DESTINATION,
      mtls: e.mtls,
      requests: BigInt(e.requests),
      responsesByClass: e.responsesByClass.map((n) => BigInt(n)),
      latencyBucketBoundsMs: [...latencyBoundsMs],
      latencyBucketCounts: e.latencyCounts.map((n) => BigInt(n)),
      bytesSent: BigInt(e.bytesSent),
      bytesReceived: BigInt(e.bytesReceived),
      connectionsOpened: BigInt(e.connectionsOpened),
    })),
  };
}
