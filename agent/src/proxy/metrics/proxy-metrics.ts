import { Counter, type Registry } from 'prom-client';
import type { TelemetryPeer } from '@weft/api';
import type { EdgeCounter, EdgeStats } from '../../telemetry/edge-stats.js';
import type { HttpExchange } from '../observe/http-exchange.js';
import { TalliedHistogram, type HistogramSeries } from './tallied-histogram.js';

/** One side of a connection as metrics name it; "unknown" where the mesh does not know it. */
export interface MetricPeer {
  /** What runs the pod (its Deployment…), else the pod: the metrics' *_workload label. */
  workload: string;
  namespace: string;
  identity: string;
  /** The pod's own name, when known: the telemetry names pods (the control plane groups them). */
  pod?: string;
}

export const unknownPeer: MetricPeer = { workload: 'unknown', namespace: 'unknown', identity: 'unknown' };

export interface ConnectionLabels {
  direction: 'outbound' | 'inbound';
  source: MetricPeer;
  destination: MetricPeer;
  mtls: boolean;
}

const connectionLabelNames = ['direction', 'source_workload', 'source_namespace', 'source_identity', 'destination_workload', 'destination_namespace', 'destination_identity', 'mtls'] as const;
const requestLabelNames = [...connectionLabelNames, 'protocol', 'response_code', 'response_class'] as const;
type ConnectionLabelName = (typeof connectionLabelNames)[number];
type RequestLabelName = (typeof requestLabelNames)[number];

/** Latency buckets in seconds: sub-millisecond resolution where a mesh's overhead lives. */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function connectionValues(labels: ConnectionLabels): Record<ConnectionLabelName, string> {
  return {
    direction: labels.direction,
    source_workload: labels.source.workload,
    source_namespace: labels.source.namespace,
    source_identity: labels.source.identity,
    destination_workload: labels.destination.workload,
    destination_namespace: labels.destination.namespace,
    destination_identity: labels.destination.identity,
    mtls: String(labels.mtls),
  };
}

/** The requests of one label set: counted in `series`, `counted` of them already passed to the counter. */
interface RequestSeries {
  series: HistogramSeries;
  counted: number;
}

type ConnectionValues = Readonly<Record<ConnectionLabelName, string>>;

/** What a ConnectionMetrics writes to: the per-connection counters and the request series. */
interface ConnectionMetricsParts {
  values: ConnectionValues;
  opened: Counter<ConnectionLabelName>;
  closed: Counter<ConnectionLabelName>;
  sent: Counter<ConnectionLabelName>;
  received: Counter<ConnectionLabelName>;
  /** The series of this connection's label set with a protocol and a status (made on first use). */
  requestSeries: (protocol: string, status: number | undefined) => RequestSeries;
  /** The same counts for the control plane's traffic map, when the agent reports telemetry. */
  edge: EdgeCounter | undefined;
}

/** Protocol label → small integer, for the per-connection cache key. */
const protocolCodes = { http1: 0, http2: 1, grpc: 2 } as const;

/**
 * The metrics of one proxied connection under one label set, its label values bound once:
 * a request costs a map lookup and a few increments, no label object and no hashing.
 */
export class ConnectionMetrics {
  readonly #parts: ConnectionMetricsParts;
  /** By protocol and status code: the few series this connection's requests fall in. */
  readonly #requests = new Map<number, RequestSeries>();

  constructor(parts: ConnectionMetricsParts) {
    this.#parts = parts;
  }

  opened(): void {
    this.#parts.opened.inc(this.#parts.values);
    this.#parts.edge?.opened();
  }

  closed(bytes: { sent: number; received: number }): void {
    const { values } = this.#parts;
    this.#parts.closed.inc(values);
    this.#parts.sent.inc(values, bytes.sent);
    this.#parts.received.inc(values, bytes.received);
    this.#parts.edge?.bytes(bytes.sent, bytes.received);
  }

  request(exchange: HttpExchange): void {
    const protocol = exchange.grpcStatus === undefined ? exchange.protocol : 'grpc';
    // Status codes are integers 100–999: with the protocol in the low bits, one number says both.
    const key = (exchange.status ?? 0) * 4 + protocolCodes[protocol];
    let request = this.#requests.get(key);
    if (!request) {
      request = this.#parts.requestSeries(protocol, exchange.status);
      this.#requests.set(key, request);
    }
    request.series.observe(exchange.durationSeconds);
    // A failed gRPC call counts as a 5xx on the map, whatever its HTTP status.
    const status = exchange.grpcStatus !== undefined && exchange.grpcStatus !== 0 ? 500 : (exchange.status ?? 0);
    this.#parts.edge?.request(status, exchange.durationSeconds);
  }
}

/** A peer as the telemetry names it: outside the mesh ("unknown" namespace) it has no namespace. */
function telemetryPeer(peer: MetricPeer): TelemetryPeer {
  const outside = peer.namespace === unknownPeer.namespace;
  return { namespace: outside ? '' : peer.namespace, name: peer.pod ?? peer.workload, uid: '', identity: peer.identity === unknownPeer.identity ? '' : peer.identity };
}

/** The golden metrics of the proxy: requests, latency, TCP connections and bytes, denials. */
export class ProxyMetrics {
  readonly #requests: Counter<RequestLabelName>;
  readonly #duration: TalliedHistogram;
  readonly #opened: Counter<ConnectionLabelName>;
  readonly #closed: Counter<ConnectionLabelName>;
  readonly #failed: Counter<'direction' | 'reason'>;
  readonly #sent: Counter<ConnectionLabelName>;
  readonly #received: Counter<ConnectionLabelName>;
  readonly #denied: Counter<'direction' | 'reason' | 'policy'>;
  /** Every request label set seen, by its values: shared by all the connections that have it. */
  readonly #requestSeries = new Map<string, RequestSeries>();
  readonly #edges: EdgeStats | undefined;

  /** `edges`: where the traffic map's counts go too (the agent's telemetry), when it reports. */
  constructor(registry: Registry, options: { edges?: EdgeStats } = {}) {
    this.#edges = options.edges;
    const registers = [registry];
    this.#requests = new Counter({
      name: 'weft_requests_total',
      help: 'HTTP requests, by source and destination workload and response code',
      labelNames: requestLabelNames,
      registers,
      // Requests are counted in their series (the histogram's count); the counter catches up when scraped.
      collect: () => this.#countRequests(),
    });
    this.#duration = new TalliedHistogram({
      name: 'weft_request_duration_seconds',
      help: 'HTTP request latency, from the first request byte to the end of the response',
      labelNames: requestLabelNames,
      buckets: latencyBuckets,
      registers,
    });
    this.#opened = new Counter({ name: 'weft_tcp_connections_opened_total', help: 'TCP connections proxied', labelNames: connectionLabelNames, registers });
    this.#closed = new Counter({ name: 'weft_tcp_connections_closed_total', help: 'Proxied TCP connections that ended', labelNames: connectionLabelNames, registers });
    this.#failed = new Counter({ name: 'weft_tcp_connections_failed_total', help: 'Connections the proxy could not complete, by reason', labelNames: ['direction', 'reason'], registers });
    this.#sent = new Counter({ name: 'weft_tcp_sent_bytes_total', help: 'Bytes from the source to the destination', labelNames: connectionLabelNames, registers });
    this.#received = new Counter({ name: 'weft_tcp_received_bytes_total', help: 'Bytes from the destination to the source', labelNames: connectionLabelNames, registers });
    this.#denied = new Counter({ name: 'weft_authorization_denials_total', help: 'Connections refused by authorization, by reason and policy', labelNames: ['direction', 'reason', 'policy'], registers });
  }

  /** The metrics of one connection under `labels`: its opening, close, bytes and requests. */
  connection(labels: ConnectionLabels): ConnectionMetrics {
    const values = connectionValues(labels);
    const connectionKey = connectionLabelNames.map((name) => values[name]).join('\n');
    return new ConnectionMetrics({
      values,
      opened: this.#opened,
      closed: this.#closed,
      sent: this.#sent,
      received: this.#received,
      requestSeries: (protocol, status) => this.#requestSeriesOf(connectionKey, values, protocol, status),
      edge: this.#edges?.counter({
        reporter: labels.direction === 'outbound' ? 'source' : 'destination',
        source: telemetryPeer(labels.source),
        destination: telemetryPeer(labels.destination),
        mtls: labels.mtls,
      }),
    });
  }

  failed(direction: ConnectionLabels['direction'], reason: string): void {
    this.#failed.inc({ direction, reason });
  }

  denied(direction: ConnectionLabels['direction'], reason: string, policy = ''): void {
    this.#denied.inc({ direction, reason, policy });
  }

  #requestSeriesOf(connectionKey: string, values: ConnectionValues, protocol: string, status: number | undefined): RequestSeries {
    const key = `${connectionKey}\n${protocol}\n${status ?? 'none'}`;
    let request = this.#requestSeries.get(key);
    if (!request) {
      const labels: Record<RequestLabelName, string> = {
        ...values,
        protocol,
        response_code: status === undefined ? 'none' : String(status),
        response_class: status === undefined ? 'none' : `${Math.floor(status / 100)}xx`,
      };
      request = { series: this.#duration.series(labels), counted: 0 };
      this.#requestSeries.set(key, request);
    }
    return request;
  }

  #countRequests(): void {
    for (const request of this.#requestSeries.values()) {
      const count = request.series.count;
      if (count > request.counted) this.#requests.inc(request.series.labels, count - request.counted);
      request.counted = count;
    }
  }
}
