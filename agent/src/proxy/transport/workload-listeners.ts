import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import { isIPv6 } from 'node:net';
import { listenInNetns } from '@weft/native';
import type { WorkloadCertificateSource } from '../../identity/index.js';
import { spiffeIdOf, type Workload } from '../../state/index.js';
import { startHboneServer, type HboneRefusal, type HboneTunnel } from './hbone-server.js';
import type { TlsContexts } from './tls-contexts.js';

export interface WorkloadListenerOptions {
  certificates: WorkloadCertificateSource;
  contexts: TlsContexts;
  /** The mesh's trust domain, read at use (the mesh state may change it). */
  trustDomain: () => string;
  tlsPort: number;
  onTunnel: (workload: Workload, tunnel: HboneTunnel) => void;
  onRefused: (reason: HboneRefusal) => void;
}

/** Where a listener handed over by the previous agent is found (fds of this process). */
export type InheritedHbone = (uid: string, ip: string) => number | undefined;

/**
 * The HBONE listeners (podIP:15008, in the pod's netns) of this node's enrolled
 * workloads: opened when a workload is enrolled, closed when it leaves. The workload a
 * tunnel reaches is looked up at connection time, so a changed workload (labels, mode)
 * applies to the next tunnel.
 */
export class WorkloadListeners {
  readonly #options: WorkloadListenerOptions;
  readonly #servers = new Map<string, Http2SecureServer[]>();
  readonly #fds = new Map<string, { ip: string; fd: number }[]>();
  readonly #workloads = new Map<string, Workload>();
  /** Sessions other agents hold open to this node's listeners. */
  readonly #sessions = new Set<ServerHttp2Session>();
  #inherited: InheritedHbone | undefined;

  constructor(options: WorkloadListenerOptions) {
    this.#options = options;
  }

  /** Listeners the previous agent handed over, served instead of new ones as workloads open. */
  inherit(inherited: InheritedHbone): void {
    this.#inherited = inherited;
  }

  /** A workload's listening sockets, for a successor. */
  fds(uid: string): { ip: string; fd: number }[] {
    return [...(this.#fds.get(uid) ?? [])];
  }

  has(uid: string): boolean {
    return this.#servers.has(uid);
  }

  /** Records the current form of a workload already listening. */
  update(workload: Workload): void {
    if (this.#servers.has(workload.uid)) this.#workloads.set(workload.uid, workload);
  }

  async open(workload: Workload): Promise<void> {
    if (this.#servers.has(workload.uid) || !workload.netnsPath) return;
    const identity = spiffeIdOf(workload, this.#options.trustDomain());
    const servers: Http2SecureServer[] = [];
    const fds: { ip: string; fd: number }[] = [];
    this.#workloads.set(workload.uid, workload);
    try {
      for (const ip of workload.ips) {
        const fd =
          this.#inherited?.(workload.uid, ip) ??
          (await listenInNetns({ netns: workload.netnsPath, family: isIPv6(ip) ? 6 : 4, address: ip, port: this.#options.tlsPort, ...(isIPv6(ip) ? { v6only: true } : {}) }));
        fds.push({ ip, fd });
        servers.push(
          await startHboneServer({
            fd,
            identity,
            certificates: this.#options.certificates,
            contexts: this.#options.contexts,
            trustDomain: this.#options.trustDomain(),
            onTunnel: (tunnel) => {
              const current = this.#workloads.get(workload.uid);
              if (current) this.#options.onTunnel(current, tunnel);
              else tunnel.refuse(503, 'workload-leaving');
            },
            onRefused: this.#options.onRefused,
          }),
        );
      }
    } catch (error) {
      for (const server of servers) server.close();
      this.#workloads.delete(workload.uid);
      throw error;
    }
    for (const server of servers) {
      server.on('session', (session: ServerHttp2Session) => {
        this.#sessions.add(session);
        session.once('close', () => this.#sessions.delete(session));
      });
    }
    this.#servers.set(workload.uid, servers);
    this.#fds.set(workload.uid, fds);
  }

  /** Stops listening at once; tunnels already open run to their end. */
  close(uid: string): void {
    for (const server of this.#servers.get(uid) ?? []) server.close();
    this.#servers.delete(uid);
    this.#fds.delete(uid);
    this.#workloads.delete(uid);
  }

  closeAll(): void {
    for (const uid of [...this.#servers.keys()]) this.close(uid);
  }

  /**
   * For a successor that serves the same sockets: stops accepting, and asks every peer to
   * open its next tunnels on a new session (GOAWAY), which the successor accepts; the
   * tunnels under way run to their end. Workloads stay known for those tunnels.
   */
  release(): void {
    for (const servers of this.#servers.values()) for (const server of servers) server.close();
    this.#servers.clear();
    this.#fds.clear();
    for (const session of this.#sessions) session.close();
  }
}
