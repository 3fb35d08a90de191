import type { Duplex } from 'node:stream';
import type { AppProtocolHint } from '../state/index.js';
import type { ConnectionLabels, ProxyMetrics } from './proxy-metrics.js';
import { splice } from './splice.js';
import { TrafficObserver } from './traffic-observer.js';

/**
 * Splices a client to its upstream and records it under each label set (one normally;
 * two on the same-node fast path, where one agent is both the source and the destination
 * side): connection opened and closed, bytes both ways, and every HTTP exchange seen.
 */
export function serveProxied(options: { client: Duplex; upstream: Duplex; labels: ConnectionLabels[]; metrics: ProxyMetrics; hint?: AppProtocolHint | undefined }): Promise<void> {
  const { metrics, labels } = options;
  for (const set of labels) metrics.opened(set);
  const observer = new TrafficObserver({
    hint: options.hint,
    onExchange: (exchange) => {
      for (const set of labels) metrics.request(set, exchange);
    },
  });
  return splice(options.client, options.upstream, { onClientData: observer.client, onServerData: observer.server }).then((result) => {
    observer.close();
    for (const set of labels) metrics.closed(set, result);
  });
}
