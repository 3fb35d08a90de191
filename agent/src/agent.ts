import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '@weft/api';
import { CaptureManager, captureDefaults, type CaptureOptions, type CapturedConnection } from './capture/index.js';
import type { InheritedSockets, PodSockets } from './handover/index.js';
import { WorkloadIdentities, type CertificateSigner } from './identity/index.js';
import type { EdgeStats } from './telemetry/index.js';
import { HbonePool } from './proxy/transport/hbone-pool.js';
import { InboundProxy } from './proxy/tcp/inbound.js';
import { ConnectionDrain } from './proxy/connection-drain.js';
import { OutboundProxy } from './proxy/tcp/outbound.js';
import { ProxyMetrics } from './proxy/metrics/proxy-metrics.js';
import { TlsContexts } from './proxy/transport/tls-contexts.js';
import { WorkloadListeners } from './proxy/transport/workload-listeners.js';
import { MeshState, spiffeIdOf, type MeshSnapshot, type MeshView, type Workload } from './state/index.js';

export interface AgentOptions {
  /** The node this agent serves: its workloads are enrolled, the others are destinations. */
  node: string;
  capture: Omit<CaptureOptions, 'onConnection' | 'inherited' | 'log'>;
  signer: CertificateSigner;
  /** PEM of the mesh root. */
  trustBundlePem: string;
  log: Logger;
  /** Back-off of the identity manager (tests shorten it). */
  identityBackoff?: { initialMs: number; maxMs: number };
  /**
   * How long a workload that left keeps its HBONE listener and certificate (default 5 s):
   * agents on other nodes may still open tunnels to it from a state one update older.
   */
  drainMs?: number;
  /** Where the proxy also counts for the control plane's traffic map (with a TelemetryReporter). */
  edges?: EdgeStats;
}

export interface EnrolledWorkloadState {
  uid: string;
  name: string;
  namespace: string;
  identity: string;
  certificateExpiry: string | undefined;
  strict: boolean;
}

/** What stop() does with the node's capture: see docs/upgrades.md. */
export type StopMode =
  /** The kernel keeps capturing (pins stay) for the next agent: pods never leave the mesh. */
  | 'leave'
  /** Capture ends and every pin goes: pods talk directly again (Weft is uninstalled). */
  | 'release';

/**
 * The node agent: the mesh state (one writer: apply()), the capture of this node's
 * enrolled workloads, their identities, and the proxy between them. apply() reconciles
 * the node to a snapshot; one workload failing to enroll is logged and retried on the next
 * snapshot, never taking the others down.
 *
 * An agent that takes the node over from a running one starts on `standby`: it follows the
 * mesh state and fetches its workloads' certificates, but leaves the kernel and the
 * sockets to the running agent until activate() (see agent/src/handover).
 */
export class Agent {
  readonly registry = new Registry();
  readonly #options: AgentOptions;
  readonly #state = new MeshState();
  #capture: CaptureManager | undefined;
  readonly #identities: WorkloadIdentities;
  readonly #listeners: WorkloadListeners;
  readonly #pool: HbonePool;
  readonly #outbound: OutboundProxy;
  readonly #inbound: InboundProxy;
  readonly #enrolled = new Map<string, Workload>();
  /** Workloads that left, until their drain ends: uid → the workload and its timer. */
  readonly #draining = new Map<string, { workload: Workload; timer: NodeJS.Timeout }>();
  readonly #releasedListeners = new Set<(uid: string) => void>();
  readonly #active = new Set<object>();
  readonly #drain = new ConnectionDrain();
  #reconciling: Promise<void> = Promise.resolve();
  #ready = false;
  /** Kernel state and sockets are left alone: a hand-over is under way or done. */
  #frozen = false;
  #applied: Promise<void>;
  #markApplied: () => void = () => undefined;

  private constructor(options: AgentOptions) {
    this.#options = options;
    const { log } = options;
    collectDefaultMetrics({ register: this.registry, prefix: 'weft_agent_' });
    const metrics = new ProxyMetrics(this.registry, options.edges ? { edges: options.edges } : {});
    this.#identities = new WorkloadIdentities({ signer: options.signer, ...(options.identityBackoff ? { backoff: options.identityBackoff } : {}) });
    const contexts = new TlsContexts(options.trustBundlePem);
    const mark = options.capture.agentMark ?? captureDefaults.agentMark;
    const trustDomain = (): string => this.#state.settings.trustDomain;
    this.#pool = new HbonePool({ certificates: this.#identities, contexts, trustDomain, tlsPort: options.capture.inboundTlsPort ?? captureDefaults.inboundTlsPort, mark });
    this.#inbound = new InboundProxy({ state: this.#state, metrics, mark, log, drain: this.#drain });
    this.#outbound = new OutboundProxy({ node: options.node, state: this.#state, pool: this.#pool, inbound: this.#inbound, metrics, mark, log, drain: this.#drain });
    this.#listeners = new WorkloadListeners({
      certificates: this.#identities,
      contexts,
      trustDomain,
      tlsPort: options.capture.inboundTlsPort ?? captureDefaults.inboundTlsPort,
      onTunnel: (workload, tunnel) => {
        this.#track(tunnel.stream);
        this.#inbound.onTunnel(workload, tunnel);
      },
      onRefused: (reason) => metrics.failed('inbound', reason),
    });
    this.#applied = new Promise((resolve) => (this.#markApplied = resolve));
    this.#agentGauges();
  }

  /** An agent that owns the node from now on: capture is taken over or set up at once. */
  static start(options: AgentOptions): Agent {
    const agent = new Agent(options);
    agent.#capture = agent.#startCapture(undefined);
    return agent;
  }

  /** An agent that will take the node over from a running one: see activate(). */
  static standby(options: AgentOptions): Agent {
    return new Agent(options);
  }

  #startCapture(inherited: InheritedSockets | undefined): CaptureManager {
    return CaptureManager.start({
      ...this.#options.capture,
      log: this.#options.log,
      ...(inherited ? { inherited: inherited.takeCapture() } : {}),
      onConnection: (connection: CapturedConnection) => {
        this.#track(connection.socket);
        if (connection.direction === 'outbound') this.#outbound.handle(connection);
        else this.#inbound.onPlaintext(connection);
      },
    });
  }

  /** Resolves once a mesh state has been applied (on standby: its certificates fetched). */
  whenApplied(): Promise<void> {
    return this.#applied;
  }

  /**
   * Takes the node over (after the running agent released it): the kernel state it left,
   * and the sockets it handed over, which are served from now on; then the node is
   * reconciled to the current mesh state.
   */
  async activate(inherited: InheritedSockets): Promise<void> {
    if (this.#capture) throw new Error('the agent owns the node already');
    this.#listeners.inherit((uid, ip) => inherited.takeHbone(uid, ip));
    this.#capture = this.#startCapture(inherited);
    await this.#schedule();
  }

  get state(): MeshView {
    return this.#state;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Replaces the mesh state and reconciles this node to it (`adopt`: see MeshState.replace). */
  apply(snapshot: MeshSnapshot, options: { adopt?: boolean } = {}): Promise<void> {
    this.#state.replace(snapshot, options);
    return this.#schedule();
  }

  #schedule(): Promise<void> {
    const run = this.#reconciling.then(() => this.#reconcile());
    this.#reconciling = run.catch(() => undefined);
    return run;
  }

  /** Stops changing the kernel state and the sockets (a successor is taking over). */
  async freeze(): Promise<void> {
    this.#frozen = true;
    await this.#reconciling;
  }

  /** The hand-over failed: reconciles to the latest state again. */
  thaw(): void {
    if (!this.#frozen) return;
    this.#frozen = false;
    void this.#schedule();
  }

  /** Every enrolled pod's listening sockets (capture and HBONE), for a successor. */
  podSockets(): PodSockets[] {
    return (this.#capture?.listenerFds() ?? []).map((pod) => ({ ...pod, hbone: this.#listeners.fds(pod.uid) }));
  }

  /**
   * A successor serves the node's sockets now: this agent stops accepting on them, tells
   * other agents to open new tunnels elsewhere, and only finishes what it has open.
   */
  async release(): Promise<void> {
    this.#frozen = true;
    this.#ready = false;
    await this.#capture?.stopAccepting();
    this.#listeners.release();
    this.#drain.drain();
  }

  enrolled(): EnrolledWorkloadState[] {
    const { trustDomain } = this.#state.settings;
    return [...this.#enrolled.values()].map((w) => {
      const identity = spiffeIdOf(w, trustDomain);
      return {
        uid: w.uid,
        name: w.name,
        namespace: w.namespace,
        identity,
        certificateExpiry: this.#identities.current(identity)?.notAfter.toISOString(),
        strict: this.#state.modeOf(w) === 'STRICT',
      };
    });
  }

  /**
   * Told when a workload is let go entirely (its drain is over): whatever the caller holds
   * for it, such as its netns handle, can go. Returns the function that unsubscribes.
   */
  onReleased(listener: (uid: string) => void): () => void {
    this.#releasedListeners.add(listener);
    return () => this.#releasedListeners.delete(listener);
  }

  /** Whether a workload is still held (enrolled, or draining). */
  holds(uid: string): boolean {
    return this.#enrolled.has(uid) || this.#draining.has(uid);
  }

  /**
   * Stops. `leave` (the default) keeps the node's capture in the kernel for the next agent;
   * `release` ends it (uninstall). Either way the connections already through the agent —
   * and tunnels other agents still open to its pods — are served until they end or
   * `drainMs` (default 5 s) passes; then everything closes.
   */
  async stop(options: { drainMs?: number; mode?: StopMode } = {}): Promise<void> {
    this.#frozen = true;
    await this.#reconciling;
    if (options.mode === 'release') await this.#capture?.stop();
    else await this.#capture?.stopAccepting();
    this.#drain.drain();
    const deadline = Date.now() + (options.drainMs ?? 5000);
    while (this.#active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const { timer } of this.#draining.values()) clearTimeout(timer);
    this.#draining.clear();
    this.#listeners.closeAll();
    this.#pool.close();
    this.#identities.stop();
    if (options.mode !== 'release') await this.#capture?.leave();
  }

  /** Connections and tunnels in flight: what a stop waits for. */
  #track(stream: { once(event: 'close', listener: () => void): unknown; destroyed: boolean }): void {
    if (stream.destroyed) return;
    this.#active.add(stream);
    stream.once('close', () => this.#active.delete(stream));
  }

  async #reconcile(): Promise<void> {
    const { node, log } = this.#options;
    const { trustDomain } = this.#state.settings;
    const local = this.#state.workloadsOnNode(node).filter((w) => w.enrolled);
    const capture = this.#capture;
    if (!capture || this.#frozen) {
      // On standby (or handing over): only what needs no kernel state, the certificates.
      if (!capture) await Promise.all(local.map((w) => this.#identities.ensure(spiffeIdOf(w, trustDomain)).catch(() => undefined)));
      this.#markApplied();
      return;
    }
    const wanted = new Map(local.filter((w) => w.netnsPath).map((w) => [w.uid, w]));
    for (const [uid, workload] of this.#enrolled) {
      if (wanted.has(uid)) continue;
      try {
        await capture.unenroll(uid);
      } catch (error) {
        log.warn('unenroll failed', { workload: workload.name, namespace: workload.namespace, error });
      }
      this.#enrolled.delete(uid);
      // Its traffic is no longer captured; tunnels to it are still taken until the drain ends.
      this.#draining.set(uid, { workload, timer: setTimeout(() => this.#release(uid), this.#options.drainMs ?? 5000) });
      log.info('workload left the mesh', { workload: workload.name, namespace: workload.namespace });
    }
    for (const uid of wanted.keys()) {
      const draining = this.#draining.get(uid);
      if (!draining) continue;
      clearTimeout(draining.timer);
      this.#draining.delete(uid);
    }
    await Promise.all(
      [...wanted.values()].map(async (workload) => {
        try {
          await this.#identities.ensure(spiffeIdOf(workload, trustDomain));
          await this.#listeners.open(workload);
          this.#listeners.update(workload);
          await capture.enroll({ uid: workload.uid, netnsPath: workload.netnsPath ?? '', ips: workload.ips, strict: this.#state.modeOf(workload) === 'STRICT' });
          if (!this.#enrolled.has(workload.uid)) log.info('workload enrolled', { workload: workload.name, namespace: workload.namespace });
          this.#enrolled.set(workload.uid, workload);
        } catch (error) {
          log.error('enrolling failed; retried with the next state', { workload: workload.name, namespace: workload.namespace, error });
        }
      }),
    );
    // What the previous agent left for pods that are not this node's any more goes now.
    try {
      capture.releasePrevious(local.map((w) => w.uid));
    } catch (error) {
      log.error('releasing what the previous agent left failed; tried again with the next state', { error });
    }
    this.#ready = true;
    this.#markApplied();
  }

  /** The end of a drain: the listener closes and the identity goes when no one else has it. */
  #release(uid: string): void {
    const draining = this.#draining.get(uid);
    if (!draining) return;
    this.#draining.delete(uid);
    this.#listeners.close(uid);
    const { trustDomain } = this.#state.settings;
    const identity = spiffeIdOf(draining.workload, trustDomain);
    const holders = [...this.#enrolled.values(), ...[...this.#draining.values()].map((d) => d.workload)];
    if (!holders.some((w) => spiffeIdOf(w, trustDomain) === identity)) this.#identities.release(identity);
    for (const listener of [...this.#releasedListeners]) {
      try {
        listener(uid);
      } catch (error) {
        this.#options.log.error('a release listener failed', { uid, error });
      }
    }
  }

  /** The agent's own state as gauges, read when Prometheus scrapes. */
  #agentGauges(): void {
    const registers = [this.registry];
    const enrolled: Gauge = new Gauge({
      name: 'weft_enrolled_pods',
      help: 'Pods of this node whose traffic goes through Weft',
      registers,
      collect: () => enrolled.set(this.#enrolled.size),
    });
    const expiry: Gauge<'identity'> = new Gauge({
      name: 'weft_certificate_expiry_timestamp_seconds',
      help: 'When each workload certificate held on this node expires',
      labelNames: ['identity'],
      registers,
      collect: () => {
        expiry.reset();
        for (const w of this.enrolled()) if (w.certificateExpiry) expiry.set({ identity: w.identity }, Date.parse(w.certificateExpiry) / 1000);
      },
    });
    const version: Gauge<'version'> = new Gauge({
      name: 'weft_config_version_info',
      help: 'The mesh state version this agent runs (value 1)',
      labelNames: ['version'],
      registers,
      collect: () => {
        version.reset();
        version.set({ version: this.#state.version }, 1);
      },
    });
  }
}
