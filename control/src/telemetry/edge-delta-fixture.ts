import { latencyBoundsMs, type EdgeDelta, type TelemetryPeer } from '@weft/api';

export interface EdgeDeltaFixture {
  from: TelemetryPeer;
  to: TelemetryPeer;
  requests: number;
  /** How many of the requests answered 5xx (default none). */
  failed?: number;
  /** How long every request took (default 1 ms). */
  ms?: number;
  reporter?: 'source' | 'destination';
  mtls?: boolean;
  /** Connections opened (default one per request). */
  connections?: number;
}

/** For the telemetry tests: what an agent reports of `requests` requests, 100 bytes out and 200 back each. */
export function edgeDelta(options: EdgeDeltaFixture): EdgeDelta {
  const counts = new Array<number>(latencyBoundsMs.length + 1).fill(0);
  const bucket = latencyBoundsMs.findIndex((b) => (options.ms ?? 1) <= b);
  counts[bucket < 0 ? latencyBoundsMs.length : bucket] = options.requests;
  const failed = options.failed ?? 0;
  return {
    source: options.from,
    destination: options.to,
    reporter: options.reporter ?? 'destination',
    mtls: options.mtls ?? true,
    requests: options.requests,
    responsesByClass: [0, options.requests - failed, 0, 0, failed],
    latencyCounts: counts,
    bytesSent: 100 * options.requests,
    bytesReceived: 200 * options.requests,
    connectionsOpened: options.connections ?? options.requests,
  };
}
