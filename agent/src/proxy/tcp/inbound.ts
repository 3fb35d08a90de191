import { isIPv6, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@weft/api';
import { connectInNetns } from '@weft/native';
import type { CapturedConnection } from '../../capture/index.js';
import { spiffeIdOf, type MeshView, type Workload } from '../../state/index.js';
import { authorize } from '../policy/authorization.js';
import type { HboneTunnel } from '../transport/hbone-server.js';
import { unknownPeer, type ConnectionLabels, type MetricPeer, type ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { ConnectionDrain } from '../connection-drain.js';
import { serveProxied } from './proxied-connection.js';

export interface InboundOptions {
  state: MeshView;
  metrics: ProxyMetrics;
  /** SO_MARK of the agent's sockets in pod namespaces. */
  mark: number;
  log: Logger;
  /** Closes proxied connections gracefully when the agent drains. */
  drain?: ConnectionDrain;
}

/** A refusal of the inbound side, with the HTTP status an HBONE peer is told. */
export class InboundRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly policy = '',
  ) {
    super(reason);
  }
}

/** A workload as metrics name it: by what runs it (its Deployment…), else by its own name. */
export function peerOf(workload: Workload | undefined, trustDomain: string, identity?: string): MetricPeer {
  if (!workload) return identity ? { ...unknownPeer, identity } : unknownPeer;
  return { workload: workload.workload ?? workload.name, namespace: workload.namespace, identity: identity ?? spiffeIdOf(workload, trustDomain), pod: workload.name };
}

/**
 * The destination side: tunnels from other nodes (HBONE), connections from the same node
 * (fast path, no TLS but the same authorization and metrics), and plaintext from outside
 * the mesh (15006: refused in STRICT, accepted and labelled mtls=false in PERMISSIVE).
 */
export class InboundProxy {
  readonly #options: InboundOptions;

  constructor(options: InboundOptions) {
    this.#options = options;
  }

  /** An HBONE CONNECT to `workload` (the listener's owner) that passed TLS and the peer check. */
  onTunnel(workload: Workload, tunnel: HboneTunnel): void {
    const { state } = this.#options;
    // Tunnels leave from the source pod's netns, so the peer address is the pod's: its
    // workload labels the metrics when it agrees with the identity the peer proved.
    const byAddress = tunnel.peerAddress ? state.workloadByIp(tunnel.peerAddress) : undefined;
    const source = byAddress && spiffeIdOf(byAddress, state.settings.trustDomain) === tunnel.peerIdentity ? byAddress : undefined;
    const labels: ConnectionLabels = {
      direction: 'inbound',
      source: peerOf(source, state.settings.trustDomain, tunnel.peerIdentity),
      destination: peerOf(workload, state.settings.trustDomain),
      mtls: true,
    };
    this.#connectApp(workload, { identity: tunnel.peerIdentity }, tunnel.target).then(
      (app) => {
        tunnel.accept();
        this.#serve(tunnel.stream, app, labels);
      },
      (error: unknown) => {
        const refusal = this.refused(error);
        tunnel.refuse(refusal.status, refusal.reason);
      },
    );
  }

  /**
   * Same-node fast path: the same authorization as a tunnel, then the app's socket. The
   * caller splices and records the returned inbound labels alongside its own, so the
   * destination side is counted as for a tunnel.
   */
  async openLocal(options: { sourceIdentity: string; source: Workload; destination: Workload; target: { address: string; port: number } }): Promise<{ app: Socket; labels: ConnectionLabels }> {
    const app = await this.#connectApp(options.destination, { identity: options.sourceIdentity }, options.target);
    const { trustDomain } = this.#options.state.settings;
    return { app, labels: { direction: 'inbound', source: peerOf(options.source, trustDomain), destination: peerOf(options.destination, trustDomain), mtls: true } };
  }

  /** Counts a refusal of openLocal() (or of a tunnel) on the inbound side. */
  refused(error: unknown): InboundRefusal {
    const refusal = asRefusal(error);
    if (refusal.status === 403) this.#options.metrics.denied('inbound', refusal.reason, refusal.policy);
    else this.#options.metrics.failed('inbound', refusal.reason);
    return refusal;
  }

  /** A plaintext connection captured on 15006: from outside the mesh. */
  onPlaintext(connection: CapturedConnection): void {
    const { state, metrics } = this.#options;
    const workload = state.workloadByUid(connection.pod.uid);
    if (!workload) {
      metrics.failed('inbound', 'unknown-workload');
      connection.socket.destroy();
      return;
    }
    if (state.modeOf(workload) === 'STRICT') {
      metrics.denied('inbound', 'strict-plaintext');
      connection.socket.resetAndDestroy();
      return;
    }
    const remote = connection.socket.remoteAddress;
    const labels: ConnectionLabels = {
      direction: 'inbound',
      source: peerOf(remote ? state.workloadByIp(remote) : undefined, state.settings.trustDomain, 'unknown'),
      destination: peerOf(workload, state.settings.trustDomain),
      mtls: false,
    };
    const target = connection.originalDestination;
    this.#connectApp(workload, {}, target).then(
      (app) => this.#serve(connection.socket, app, labels),
      (error: unknown) => {
        this.refused(error);
        connection.socket.resetAndDestroy();
      },
    );
  }

  #serve(client: Duplex, app: Duplex, labels: ConnectionLabels): void {
    const { metrics, drain } = this.#options;
    void serveProxied({ client, upstream: app, labels: [labels], metrics, drain });
  }

  async #connectApp(workload: Workload, source: { identity?: string }, target: { address: string; port: number }): Promise<Socket> {
    const { state, mark } = this.#options;
    if (!workload.ips.includes(target.address)) throw new InboundRefusal(400, 'not-this-workload');
    if (!workload.netnsPath) throw new InboundRefusal(400, 'not-on-this-node');
    const decision = authorize({ source: source.identity ? { identity: source.identity } : {}, destination: workload, port: target.port }, state.policiesFor(workload));
    if (!decision.allowed) throw new InboundRefusal(403, decision.reason, decision.policy);
    let fd: number;
    try {
      fd = await connectInNetns({ netns: workload.netnsPath, family: isIPv6(target.address) ? 6 : 4, address: target.address, port: target.port, mark, timeoutMs: 5000 });
    } catch (error) {
      this.#options.log.debug('app unreachable', { workload: workload.name, port: target.port, error });
      throw new InboundRefusal(503, 'app-unreachable');
    }
    return new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
  }
}

function asRefusal(error: unknown): InboundRefusal {
  return error instanceof InboundRefusal ? error : new InboundRefusal(500, 'internal');
}
