import { isIPv6, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@weft/api';
import { connectInNetns } from '@weft/native';
import type { CapturedConnection } from '../../capture/index.js';
import { spiffeIdOf, type AppProtocolHint, type MeshView, type Workload } from '../../state/index.js';
import { HboneError, type HbonePool } from '../transport/hbone-pool.js';
import { peerOf, type InboundProxy } from './inbound.js';
import type { ConnectionDrain } from '../connection-drain.js';
import { serveProxied } from './proxied-connection.js';
import { unknownPeer, type ConnectionLabels, type ProxyMetrics } from '../metrics/proxy-metrics.js';

export interface OutboundOptions {
  /** This agent's node: destinations here take the fast path. */
  node: string;
  state: MeshView;
  pool: HbonePool;
  inbound: InboundProxy;
  metrics: ProxyMetrics;
  mark: number;
  log: Logger;
  /** Closes proxied connections gracefully when the agent drains. */
  drain?: ConnectionDrain;
}

/** Where a captured connection goes. */
type Route =
  | { kind: 'mesh'; workload: Workload; address: string; port: number; hint: AppProtocolHint | undefined }
  | { kind: 'plain'; workload: Workload | undefined; address: string; port: number; hint: AppProtocolHint | undefined }
  | { kind: 'blocked'; reason: string };

/**
 * The source side: original destination → service VIP or workload IP → endpoint → HBONE to
 * an enrolled destination (or the same-node fast path), plain TCP to one outside the mesh
 * (unless the mesh allows only known destinations).
 */
export class OutboundProxy {
  readonly #options: OutboundOptions;
  readonly #next = new Map<string, number>();

  constructor(options: OutboundOptions) {
    this.#options = options;
  }

  handle(connection: CapturedConnection): void {
    const { state, metrics } = this.#options;
    const source = state.workloadByUid(connection.pod.uid);
    if (!source) {
      metrics.failed('outbound', 'unknown-source');
      connection.socket.destroy();
      return;
    }
    const route = this.#route(connection.originalDestination.address, connection.originalDestination.port);
    if (route.kind === 'blocked') {
      metrics.denied('outbound', route.reason);
      connection.socket.resetAndDestroy();
      return;
    }
    const { trustDomain } = state.settings;
    const labels: ConnectionLabels = {
      direction: 'outbound',
      source: peerOf(source, trustDomain),
      destination: route.workload ? peerOf(route.workload, trustDomain, route.kind === 'mesh' ? undefined : 'unknown') : unknownPeer,
      mtls: route.kind === 'mesh',
    };
    this.#open(source, route).then(
      ({ upstream, extraLabels }) => {
        void serveProxied({ client: connection.socket, upstream, labels: [labels, ...extraLabels], metrics, hint: route.hint, drain: this.#options.drain });
      },
      (error: unknown) => {
        if (error instanceof HboneError && error.status === 403) metrics.denied('outbound', error.reason);
        else metrics.failed('outbound', error instanceof HboneError ? error.reason : 'internal');
        this.#options.log.debug('outbound failed', { source: source.name, to: `${route.address}:${route.port}`, error });
        // A reset, not a quiet close: the client fails at once instead of waiting.
        connection.socket.resetAndDestroy();
      },
    );
  }

  async #open(source: Workload, route: Exclude<Route, { kind: 'blocked' }>): Promise<{ upstream: Duplex; extraLabels: ConnectionLabels[] }> {
    const { state, pool, inbound, node, mark } = this.#options;
    const sourceIdentity = spiffeIdOf(source, state.settings.trustDomain);
    const netnsPath = source.netnsPath ?? '';
    if (route.kind === 'mesh' && route.workload.node === node && route.workload.netnsPath) {
      try {
        const local = await inbound.openLocal({ sourceIdentity, source, destination: route.workload, target: { address: route.address, port: route.port } });
        return { upstream: local.app, extraLabels: [local.labels] };
      } catch (error) {
        const refusal = inbound.refused(error);
        throw new HboneError('WEFT_HBONE_REFUSED', `the local destination refused: ${refusal.reason}`, { status: refusal.status, reason: refusal.reason });
      }
    }
    if (route.kind === 'mesh') {
      const destination = { address: route.workload.ips[0] ?? route.address, port: route.port, identity: spiffeIdOf(route.workload, state.settings.trustDomain) };
      return { upstream: await pool.open({ source: { identity: sourceIdentity, netnsPath }, destination }), extraLabels: [] };
    }
    let fd: number;
    try {
      fd = await connectInNetns({ netns: netnsPath, family: isIPv6(route.address) ? 6 : 4, address: route.address, port: route.port, mark, timeoutMs: 10_000 });
    } catch (error) {
      throw new HboneError('WEFT_HBONE_CONNECT_FAILED', `cannot reach ${route.address}:${route.port}`, { reason: 'connect-failed', cause: error });
    }
    return { upstream: new Socket({ fd, readable: true, writable: true, allowHalfOpen: true }), extraLabels: [] };
  }

  #route(address: string, port: number): Route {
    const { state } = this.#options;
    const viaService = state.serviceByVip(address, port);
    if (viaService) {
      const endpoints = state.endpointsOf(viaService.service);
      if (endpoints.length === 0) return { kind: 'blocked', reason: 'no-endpoints' };
      const key = `${viaService.service.namespace}/${viaService.service.name}`;
      const index = this.#next.get(key) ?? 0;
      this.#next.set(key, index + 1);
      const workload = endpoints[index % endpoints.length];
      const targetAddress = workload?.ips[0];
      if (!workload || !targetAddress) return { kind: 'blocked', reason: 'no-endpoints' };
      const hint = viaService.port.appProtocol;
      return workload.enrolled
        ? { kind: 'mesh', workload, address: targetAddress, port: viaService.port.targetPort, hint }
        : { kind: 'plain', workload, address: targetAddress, port: viaService.port.targetPort, hint };
    }
    const workload = state.workloadByIp(address);
    if (workload?.enrolled) return { kind: 'mesh', workload, address, port, hint: undefined };
    if (workload) return { kind: 'plain', workload, address, port, hint: undefined };
    if (state.settings.outboundPolicy === 'REGISTRY_ONLY') return { kind: 'blocked', reason: 'outside-registry' };
    return { kind: 'plain', workload: undefined, address, port, hint: undefined };
  }
}
