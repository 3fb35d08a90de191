import { latencyBoundsMs, type EdgeDelta, type TelemetryPeer } from '@weft/api';

/** Which edge a connection is part of, as this agent sees it. */
export interface EdgeEnds {
  /** 'source' for outbound (this agent serves the client), 'destination' for inbound. */
  reporter: EdgeDelta['reporter'];
  source: TelemetryPeer;
  destination: TelemetryPeer;
  mtls: boolean;
}

/** One connection's way of counting into its edge. */
export interface EdgeCounter {
  opened(): void;
  bytes(sent: number, received: number): void;
  /** A finished exchange: the HTTP status (or 500 for a failed gRPC call) and its duration. */
  request(status: number, seconds: number): void;
}

const keyOf = (e: EdgeEnds): string => `${e.reporter}\u0000${e.source.namespace}/${e.source.name}\u0000${e.destination.namespace}/${e.destination.name}\u0000${e.mtls ? 1 : 0}`;

function emptyDelta(ends: EdgeEnds): EdgeDelta {
  return { ...ends, requests: 0, responsesByClass: [0, 0, 0, 0, 0], latencyCounts: new Array<number>(latencyBoundsMs.length + 1).fill(0), bytesSent: 0, bytesReceived: 0, connectionsOpened: 0 };
}

const isEmpty = (d: EdgeDelta): boolean => d.requests === 0 && d.bytesSent === 0 && d.bytesReceived === 0 && d.connectionsOpened === 0;

/**
 * What this agent saw of each edge since the last report: counts the proxy adds per
 * connection and exchange, taken (and zeroed) by the telemetry reporter every interval.
 * An edge idle for a whole interval is forgotten, so memory follows the live edges.
 */
export class EdgeStats {
  readonly #edges = new Map<string, EdgeDelta>();

  counter(ends: EdgeEnds): EdgeCounter {
    const key = keyOf(ends);
    // Looked up at each count: the entry of an idle edge may have been dropped meanwhile.
    const entry = (): EdgeDelta => {
      let delta = this.#edges.get(key);
      if (!delta) {
        delta = emptyDelta(ends);
        this.#edges.set(key, delta);
      }
      return delta;
    };
    return {
      opened: () => {
        entry().connectionsOpened++;
      },
      bytes: (sent, received) => {
        const delta = entry();
        delta.bytesSent += sent;
        delta.bytesReceived += received;
      },
      request: (status, seconds) => {
        const delta = entry();
        delta.requests++;
        const index = Math.min(Math.max(Math.floor(status / 100) - 1, 0), 4);
        delta.responsesByClass[index] = (delta.responsesByClass[index] ?? 0) + 1;
        const ms = seconds * 1000;
        const bucket = latencyBoundsMs.findIndex((bound) => ms <= bound);
        const at = bucket < 0 ? latencyBoundsMs.length : bucket;
        delta.latencyCounts[at] = (delta.latencyCounts[at] ?? 0) + 1;
      },
    };
  }

  /** The edges with something to report, and a fresh start for the next interval. */
  take(): EdgeDelta[] {
    const taken: EdgeDelta[] = [];
    for (const [key, delta] of this.#edges) {
      if (isEmpty(delta)) this.#edges.delete(key);
      else {
        taken.push(delta);
        this.#edges.set(key, emptyDelta(delta));
      }
    }
    return taken;
  }
}
