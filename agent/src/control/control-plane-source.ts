import type { Agent } from '../agent.js';
import type { PodNetnsFinder } from '../capture/pod-netns-finder.js';
import type { MeshSnapshot } from '../state/index.js';
import { ConfigClient, type ConfigClientOptions, type ConfigClientStatus } from './config-client.js';

export interface ControlPlaneSourceOptions extends Omit<ConfigClientOptions, 'apply'> {
  agent: Agent;
  /** This agent's node. */
  node: string;
  netns: PodNetnsFinder;
  /** How soon a pod not yet enrolled (no process yet, CA away) is tried again (default 500 ms). */
  retryMs?: number;
}

/**
 * Feeds the agent from the control plane: each snapshot gets the network namespaces of
 * this node's enrolled pods (found on the node; the control plane never knows them) and
 * is applied. The update is ACKed once the agent has taken the state, not once every pod
 * is enrolled — a pod that cannot be enrolled yet is tried again in the background, so one
 * slow pod never holds up the stream.
 */
export class ControlPlaneSource {
  readonly #options: ControlPlaneSourceOptions;
  readonly #client: ConfigClient;
  #latest: MeshSnapshot | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  readonly #unsubscribe: () => void;

  constructor(options: ControlPlaneSourceOptions) {
    this.#options = options;
    this.#client = new ConfigClient({ ...options, apply: (snapshot) => this.#apply(snapshot) });
    // A pod's netns is let go only when the agent lets the pod go (after its drain): the
    // /proc/self/fd path must not name another namespace while anything may still use it.
    this.#unsubscribe = options.agent.onReleased((uid) => options.netns.release(uid));
  }

  status(): ConfigClientStatus {
    return this.#client.status();
  }

  start(): void {
    this.#client.start();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#unsubscribe();
    this.#client.stop();
  }

  #apply(snapshot: MeshSnapshot): Promise<void> {
    this.#latest = snapshot;
    clearTimeout(this.#retry);
    const { agent, node, netns, log } = this.#options;
    const local = snapshot.workloads.filter((w) => w.node === node && w.enrolled);
    const paths = netns.find(local.map((w) => w.uid));
    const withPaths: MeshSnapshot = {
      ...snapshot,
      workloads: snapshot.workloads.map((w) => {
        const path = w.node === node ? paths.get(w.uid) : undefined;
        return path ? { ...w, netnsPath: path } : w;
      }),
    };
    // Throws at once when the state refuses the snapshot: that is the NACK. The client never
    // changes a resource it has handed on, so the state adopts them rather than copying.
    const reconciled = agent.apply(withPaths, { adopt: true });
    reconciled.then(
      () => {
        // A netns found for a pod that left before it was ever enrolled is let go here.
        const wanted = new Set(local.map((w) => w.uid));
        for (const uid of netns.held()) if (!wanted.has(uid) && !agent.holds(uid)) netns.release(uid);
        const enrolled = new Set(agent.enrolled().map((w) => w.uid));
        const missing = local.filter((w) => !enrolled.has(w.uid));
        if (missing.length > 0 && !this.#stopped && this.#latest === snapshot) {
          log.debug('pods not enrolled yet; trying again', { pods: missing.map((w) => `${w.namespace}/${w.name}`), withoutNetns: missing.filter((w) => !paths.has(w.uid)).length });
          this.#retry = setTimeout(() => this.#again(snapshot), this.#options.retryMs ?? 500);
        }
      },
      (error: unknown) => log.error('reconciling failed', { error }),
    );
    return Promise.resolve();
  }

  #again(snapshot: MeshSnapshot): void {
    if (this.#stopped || this.#latest !== snapshot) return;
    try {
      void this.#apply(snapshot);
    } catch (error) {
      this.#options.log.error('applying the mesh state again failed', { error });
    }
  }
}
