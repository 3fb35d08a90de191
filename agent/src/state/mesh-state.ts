import { createLogger, WeftError, type Logger } from '@weft/api';
import { MeshIndex, type ServiceAtVip } from './mesh-index.js';
import { defaultMeshSettings } from './mesh-settings.js';
import type { AuthorizationPolicy, MeshSettings, MeshSnapshot, PeerAuthenticationMode, Service, Workload } from './mesh-types.js';

export interface MeshChange {
  version: string;
  /** '' when this is the first snapshot. */
  previousVersion: string;
}

export type MeshChangeListener = (change: MeshChange) => void;

/**
 * What everyone but the one writer gets: reads of the current snapshot. Every object
 * returned is frozen and belongs to one snapshot; a reader that keeps one across a
 * change keeps the old version of it, so look things up again after `onChange`.
 */
export interface MeshView {
  /** The current snapshot's version; '' until the first one arrives. */
  readonly version: string;
  readonly settings: MeshSettings;
  workloadByUid(uid: string): Workload | undefined;
  /** Any text form of the IP, including ::ffff:a.b.c.d for an IPv4 workload. */
  workloadByIp(ip: string): Workload | undefined;
  /** The service with this cluster IP and service port (not target port). */
  serviceByVip(ip: string, port: number): ServiceAtVip | undefined;
  /** The known workloads behind the service, enrolled or not; uids the snapshot lacks are left out. */
  endpointsOf(service: Service): readonly Workload[];
  workloadsOnNode(node: string): readonly Workload[];
  /** How the workload treats plaintext inbound: its own mode, else its namespace's, else the default. */
  modeOf(workload: Workload): PeerAuthenticationMode;
  /** The policies of the workload's namespace whose selector it matches; the input of `authorize`. */
  policiesFor(workload: Workload): readonly AuthorizationPolicy[];
  /** Called after every accepted snapshot; returns the function that unsubscribes. */
  onChange(listener: MeshChangeListener): () => void;
}

/** A snapshot was refused as a whole; the store still serves the previous one. */
export class InvalidSnapshotError extends WeftError {
  readonly problems: readonly string[];

  constructor(version: string, problems: readonly string[]) {
    const shown = problems.slice(0, 20).map((problem) => `\n  - ${problem}`).join('');
    const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '';
    super('WEFT_STATE_INVALID', `mesh snapshot ${JSON.stringify(version)} was refused, ${problems.length} problem(s):${shown}${more}`, {
      hint: 'the agent keeps serving the previous snapshot; fix the source of the snapshot (control plane or static config)',
    });
    this.problems = problems;
  }
}

export interface MeshStateOptions {
  /** Where a failing change listener is reported (default: a logger for component "mesh-state"). */
  log?: Logger;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const emptySnapshot: MeshSnapshot = { version: '', settings: defaultMeshSettings, workloads: [], services: [], policies: [] };

/**
 * The agent's picture of the mesh. It has exactly one writer — whoever feeds it (static
 * config now, the control plane later) calls `replace`; everything else gets `MeshView`.
 * A snapshot is checked whole before it is taken, so readers never see half of one.
 */
export class MeshState implements MeshView {
  #index: MeshIndex;
  readonly #listeners = new Set<{ listener: MeshChangeListener }>();
  readonly #log: Logger;

  constructor(options: MeshStateOptions = {}) {
    this.#log = options.log ?? createLogger({ component: 'mesh-state' });
    // The empty start has version '' (which replace refuses), so its problems do not apply.
    this.#index = new MeshIndex(emptySnapshot);
  }

  get version(): string {
    return this.#index.snapshot.version;
  }

  get settings(): MeshSettings {
    return this.#index.snapshot.settings;
  }

  /**
   * Takes a copy of the snapshot (later changes to the argument do not leak in) or throws
   * an InvalidSnapshotError listing every problem, keeping the current snapshot.
   *
   * With `adopt`, the caller hands the snapshot over instead: it is frozen where it is, not
   * copied. For a source that never changes an object once given (the config stream
   * replaces resources whole), so objects kept from the last snapshot cost nothing again.
   */
  replace(snapshot: MeshSnapshot, options: { adopt?: boolean } = {}): void {
    const candidate = new MeshIndex(deepFreeze(options.adopt ? snapshot : structuredClone(snapshot)));
    if (candidate.problems.length > 0) throw new InvalidSnapshotError(snapshot.version, candidate.problems);
    const previousVersion = this.#index.snapshot.version;
    this.#index = candidate;
    const change: MeshChange = { version: snapshot.version, previousVersion };
    for (const entry of [...this.#listeners]) {
      try {
        entry.listener(change);
      } catch (error) {
        // One broken reader must not stop the others from hearing about the change.
        this.#log.error('a mesh change listener failed', { error, version: change.version });
      }
    }
  }

  workloadByUid(uid: string): Workload | undefined {
    return this.#index.workloadByUid(uid);
  }

  workloadByIp(ip: string): Workload | undefined {
    return this.#index.workloadByIp(ip);
  }

  serviceByVip(ip: string, port: number): ServiceAtVip | undefined {
    return this.#index.serviceByVip(ip, port);
  }

  endpointsOf(service: Service): readonly Workload[] {
    return this.#index.endpointsOf(service);
  }

  workloadsOnNode(node: string): readonly Workload[] {
    return this.#index.workloadsOnNode(node);
  }

  modeOf(workload: Workload): PeerAuthenticationMode {
    const { namespaceModes, defaultMode } = this.settings;
    // hasOwn: a namespace may well be called "constructor".
    const namespaceMode = Object.hasOwn(namespaceModes, workload.namespace) ? namespaceModes[workload.namespace] : undefined;
    return workload.mode ?? namespaceMode ?? defaultMode;
  }

  policiesFor(workload: Workload): readonly AuthorizationPolicy[] {
    return this.#index.policiesFor(workload);
  }

  onChange(listener: MeshChangeListener): () => void {
    const entry = { listener };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }
}
