import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppProtocolHint } from '../../state/index.js';
import type { ConnectionLabels, ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { ConnectionDrain } from '../connection-drain.js';
import { splice } from './splice.js';
import { TrafficObserver } from '../observe/traffic-observer.js';

/**
 * Nagle's algorithm holds a small write while an earlier one is unacknowledged (a head
 * written apart from its body, a pipelined request), which the peer's delayed ACK turns
 * into a 40 ms stall: every plain TCP socket the proxy writes to sends at once. (HTTP/2
 * sets it on the HBONE sockets itself.) It must be this call: `new Socket({ fd, noDelay:
 * true })` records the wish but applies it only in connect(), so a socket made from an fd
 * never gets it, and a later setNoDelay(true) is then skipped as already done.
 */
function sendAtOnce(stream: Duplex): void {
  if (stream instanceof Socket) stream.setNoDelay(true);
}

/**
 * Splices a client to its upstream and records it under each label set (one normally;
 * two on the same-node fast path, where one agent is both the source and the destination
 * side): connection opened and closed, bytes both ways, and every HTTP exchange seen.
 */
export function serveProxied(options: {
  client: Duplex;
  upstream: Duplex;
  labels: ConnectionLabels[];
  metrics: ProxyMetrics;
  hint?: AppProtocolHint | undefined;
  drain?: ConnectionDrain | undefined;
}): Promise<void> {
  sendAtOnce(options.client);
  sendAtOnce(options.upstream);
  const recorders = options.labels.map((labels) => options.metrics.connection(labels));
  for (const recorder of recorders) recorder.opened();
  const observer = new TrafficObserver({
    hint: options.hint,
    onExchange: (exchange) => {
      for (const recorder of recorders) recorder.request(exchange);
    },
  });
  // A drain ends both sides between two HTTP/1 exchanges: FIN, never a reset.
  const unregister = options.drain?.register(() =>
    observer.drainHttp1(() => {
      options.client.end();
      options.upstream.end();
    }),
  );
  return splice(options.client, options.upstream, { onClientData: observer.client, onServerData: observer.server }).then((result) => {
    unregister?.();
    observer.close();
    for (const recorder of recorders) recorder.closed(result);
  });
}
