import { Counter, Histogram, type Registry } from 'prom-client';
import type { HttpExchange } from './http-exchange.js';

/** One side of a connection as metrics name it; "unknown" where the mesh does not know it. */
export interface MetricPeer {
  workload: string;
  namespace: string;
  identity: string;
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

/** The golden metrics of the proxy: requests, latency, TCP connections and bytes, denials. */
export class ProxyMetrics {
  readonly #requests: Counter<RequestLabelName>;
  readonly #duration: Histogram<RequestLabelName>;
  readonly #opened: Counter<ConnectionLabelName>;
  readonly #closed: Counter<ConnectionLabelName>;
  readonly #failed: Counter<'direction' | 'reason'>;
  readonly #sent: Counter<ConnectionLabelName>;
  readonly #received: Counter<ConnectionLabelName>;
  readonly #denied: Counter<'direction' | 'reason' | 'policy'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#requests = new Counter({ name: 'weft_requests_total', help: 'HTTP requests, by source and destination workload and response code', labelNames: requestLabelNames, registers });
    this.#duration = new Histogram({
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

  opened(labels: ConnectionLabels): void {
    this.#opened.inc(connectionValues(labels));
  }

  closed(labels: ConnectionLabels, bytes: { sent: number; received: number }): void {
    const values = connectionValues(labels);
    this.#closed.inc(values);
    this.#sent.inc(values, bytes.sent);
    this.#received.inc(values, bytes.received);
  }

  failed(direction: ConnectionLabels['direction'], reason: string): void {
    this.#failed.inc({ direction, reason });
  }

  denied(direction: ConnectionLabels['direction'], reason: string, policy = ''): void {
    this.#denied.inc({ direction, reason, policy });
  }

  request(labels: ConnectionLabels, exchange: HttpExchange): void {
    const status = exchange.status;
    const values = {
      ...connectionValues(labels),
      protocol: exchange.grpcStatus === undefined ? exchange.protocol : 'grpc',
      response_code: status === undefined ? 'none' : String(status),
      response_class: status === undefined ? 'none' : `${Math.floor(status / 100)}xx`,
    };
    this.#requests.inc(values);
    this.#duration.observe(values, exchange.durationSeconds);
  }
}
