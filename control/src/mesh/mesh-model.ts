import type { AuthorizationPolicy, MeshResource, MeshSettings, PeerAuthenticationMode, Service, Workload } from '@weft/api';
import type { TranslatedPolicy } from './policy-translate.js';
import { isEnrolled, serviceOf, type NamespaceFacts, type PodFacts, type ServiceFacts, type SliceFacts } from './translate.js';

/** A resource as the model holds it: built once per change, with the text that tells versions apart. */
export interface ModelEntry {
  readonly resource: MeshResource;
  readonly fingerprint: string;
}

export interface WorkloadEntry extends ModelEntry {
  readonly workload: Workload;
  /** The same workload as other nodes get it: without labels, which only its own node's policies read. */
  readonly remote: ModelEntry;
}

export interface PolicyEntry extends ModelEntry {
  readonly policy: AuthorizationPolicy;
}

export interface MeshModelOptions {
  settings: Omit<MeshSettings, 'namespaceModes'>;
  /** The mesh's own namespace: its pods are never enrolled. */
  meshNamespace: string;
  /** How batches are scheduled (tests pass a synchronous one). */
  schedule?: (flush: () => void) => void;
}

/** What one batch changed; `since` is when its first input arrived (for push latency). */
export interface ModelChange {
  revision: number;
  since: number;
}

/** What the node views read. */
export interface ModelReader {
  readonly revision: number;
  readonly settings: ModelEntry;
  workloads(): Iterable<WorkloadEntry>;
  services(): Iterable<ModelEntry>;
  policies(): Iterable<PolicyEntry>;
  /** Whether some served service lists the workload as a (ready) endpoint. */
  isEndpoint(uid: string): boolean;
}

const entry = (resource: MeshResource): ModelEntry => ({ resource, fingerprint: JSON.stringify(resource) });

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Of the pods claiming one IP, the one that has it: a pod being deleted yields to a newer one. */
function better(a: PodFacts, b: PodFacts): PodFacts {
  if (a.terminating !== b.terminating) return a.terminating ? b : a;
  if (a.createdMs !== b.createdMs) return a.createdMs > b.createdMs ? a : b;
  return a.uid < b.uid ? a : b;
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  set?.delete(value);
  if (set?.size === 0) index.delete(key);
}

/**
 * The mesh as the control plane sees it. One writer — the Kubernetes watches call the
 * set* methods with translated facts; the model rebuilds only what those facts touch and
 * tells its listeners once per batch. Everything the agents receive is read from here.
 */
export class MeshModel implements ModelReader {
  readonly #options: MeshModelOptions;
  readonly #schedule: (flush: () => void) => void;
  // Inputs, as translated from Kubernetes.
  readonly #namespaces = new Map<string, NamespaceFacts>();
  readonly #pods = new Map<string, PodFacts>();
  readonly #podsByNamespace = new Map<string, Set<string>>();
  /** "<namespace>/<pod name>" → uid. */
  readonly #podByName = new Map<string, string>();
  readonly #claims = new Map<string, Set<string>>();
  readonly #serviceFacts = new Map<string, ServiceFacts>();
  readonly #slices = new Map<string, SliceFacts>();
  readonly #slicesByService = new Map<string, Set<string>>();
  readonly #servicesByPod = new Map<string, Set<string>>();
  // Outputs.
  #settings: ModelEntry;
  readonly #workloads = new Map<string, WorkloadEntry>();
  readonly #services = new Map<string, ModelEntry & { service: Service }>();
  readonly #endpointCounts = new Map<string, number>();
  readonly #policies = new Map<string, PolicyEntry>();
  // The batch being gathered.
  readonly #dirtyPods = new Set<string>();
  readonly #dirtyServices = new Set<string>();
  #dirtySettings = false;
  #pendingSince: number | undefined;
  #changed = false;
  #revision = 0;
  readonly #listeners = new Set<(change: ModelChange) => void>();

  constructor(options: MeshModelOptions) {
    this.#options = options;
    this.#schedule = options.schedule ?? ((flush) => setImmediate(flush));
    this.#settings = entry({ kind: 'settings', settings: { ...options.settings, namespaceModes: {} } });
  }

  get revision(): number {
    return this.#revision;
  }

  get settings(): ModelEntry {
    return this.#settings;
  }

  workloads(): Iterable<WorkloadEntry> {
    return this.#workloads.values();
  }

  workload(uid: string): WorkloadEntry | undefined {
    return this.#workloads.get(uid);
  }

  services(): Iterable<ModelEntry> {
    return this.#services.values();
  }

  policies(): Iterable<PolicyEntry> {
    return this.#policies.values();
  }

  /**
   * The workload (Deployment…, else the pod) a running pod belongs to, for the traffic map:
   * by its uid, else by its namespace and name (what the agents' metrics carry).
   */
  workloadOf(peer: { uid: string; namespace: string; name: string }): { namespace: string; name: string } | undefined {
    const pod = this.#pods.get(peer.uid) ?? this.#pods.get(this.#podByName.get(`${peer.namespace}/${peer.name}`) ?? '');
    return pod ? { namespace: pod.namespace, name: pod.workload ?? pod.name } : undefined;
  }

  isEndpoint(uid: string): boolean {
    return (this.#endpointCounts.get(uid) ?? 0) > 0;
  }

  /** Called after every batch that changed what some agent may receive. */
  onChange(listener: (change: ModelChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setNamespace(name: string, facts: NamespaceFacts | undefined): void {
    const before = this.#namespaces.get(name);
    if (facts) this.#namespaces.set(name, facts);
    else this.#namespaces.delete(name);
    if (before?.enrolled !== facts?.enrolled) for (const uid of this.#podsByNamespace.get(name) ?? []) this.#dirtyPods.add(uid);
    if (before?.mode !== facts?.mode) this.#dirtySettings = true;
    this.#touch();
  }

  setPod(uid: string, facts: PodFacts | undefined): void {
    const before = this.#pods.get(uid);
    for (const ip of before?.ips ?? []) {
      removeFrom(this.#claims, ip, uid);
      // Whoever else claims the address may have it now.
      for (const other of this.#claims.get(ip) ?? []) this.#dirtyPods.add(other);
    }
    if (before) {
      removeFrom(this.#podsByNamespace, before.namespace, uid);
      if (this.#podByName.get(`${before.namespace}/${before.name}`) === uid) this.#podByName.delete(`${before.namespace}/${before.name}`);
    }
    if (facts) {
      this.#pods.set(uid, facts);
      this.#podByName.set(`${facts.namespace}/${facts.name}`, uid);
      addTo(this.#podsByNamespace, facts.namespace, uid);
      for (const ip of facts.ips) {
        for (const other of this.#claims.get(ip) ?? []) this.#dirtyPods.add(other);
        addTo(this.#claims, ip, uid);
      }
    } else this.#pods.delete(uid);
    this.#dirtyPods.add(uid);
    this.#touch();
  }

  setService(key: string, facts: ServiceFacts | undefined): void {
    if (facts) this.#serviceFacts.set(key, facts);
    else this.#serviceFacts.delete(key);
    this.#dirtyServices.add(key);
    this.#touch();
  }

  /** `key` names the slice ("<namespace>/<slice name>"); the facts name its service. */
  setSlice(key: string, facts: SliceFacts | undefined): void {
    const before = this.#slices.get(key);
    if (before) {
      removeFrom(this.#slicesByService, before.service, key);
      for (const e of before.endpoints) if (e.podUid) removeFrom(this.#servicesByPod, e.podUid, before.service);
      this.#dirtyServices.add(before.service);
    }
    if (facts) {
      this.#slices.set(key, facts);
      addTo(this.#slicesByService, facts.service, key);
      this.#dirtyServices.add(facts.service);
    } else this.#slices.delete(key);
    // Re-add every slice's pods of the affected services: two slices may name one pod.
    for (const service of [before?.service, facts?.service]) {
      if (service === undefined) continue;
      for (const sliceKey of this.#slicesByService.get(service) ?? []) {
        for (const e of this.#slices.get(sliceKey)?.endpoints ?? []) if (e.podUid) addTo(this.#servicesByPod, e.podUid, service);
      }
    }
    this.#touch();
  }

  setPolicy(key: string, translated: TranslatedPolicy | undefined): void {
    if (translated) {
      const resource: MeshResource = { kind: 'policy', policy: translated.policy };
      const next = { ...entry(resource), policy: translated.policy };
      if (this.#policies.get(key)?.fingerprint !== next.fingerprint) {
        this.#policies.set(key, next);
        this.#changed = true;
      }
    } else if (this.#policies.delete(key)) this.#changed = true;
    this.#touch();
  }

  /** Rebuilds what the batch touched now instead of at the scheduled time (tests, benchmarks). */
  flushNow(): void {
    this.#flush();
  }

  #touch(): void {
    if (this.#pendingSince !== undefined) return;
    this.#pendingSince = performance.now();
    this.#schedule(() => this.#flush());
  }

  #flush(): void {
    const since = this.#pendingSince;
    if (since === undefined) return;
    this.#pendingSince = undefined;
    if (this.#dirtySettings) this.#rebuildSettings();
    for (const uid of this.#dirtyPods) this.#rebuildWorkload(uid);
    this.#dirtyPods.clear();
    for (const key of this.#dirtyServices) this.#rebuildService(key);
    this.#dirtyServices.clear();
    if (!this.#changed) return;
    this.#changed = false;
    this.#revision++;
    const change = { revision: this.#revision, since };
    for (const listener of [...this.#listeners]) listener(change);
  }

  #rebuildSettings(): void {
    this.#dirtySettings = false;
    const namespaceModes: Record<string, PeerAuthenticationMode> = {};
    for (const [name, facts] of [...this.#namespaces].sort(([a], [b]) => (a < b ? -1 : 1))) if (facts.mode) namespaceModes[name] = facts.mode;
    const next = entry({ kind: 'settings', settings: { ...this.#options.settings, namespaceModes } });
    if (next.fingerprint === this.#settings.fingerprint) return;
    this.#settings = next;
    this.#changed = true;
  }

  /** The pod holds its IPs when it is the best claimant of every one of them. */
  #holdsItsIps(pod: PodFacts): boolean {
    return pod.ips.every((ip) => {
      let best: PodFacts | undefined;
      for (const uid of this.#claims.get(ip) ?? []) {
        const other = this.#pods.get(uid);
        if (other) best = best ? better(best, other) : other;
      }
      return best?.uid === pod.uid;
    });
  }

  #rebuildWorkload(uid: string): void {
    const pod = this.#pods.get(uid);
    const before = this.#workloads.get(uid);
    if (!pod || !this.#holdsItsIps(pod)) {
      if (!before) return;
      this.#workloads.delete(uid);
      for (const service of this.#servicesByPod.get(uid) ?? []) this.#dirtyServices.add(service);
      this.#changed = true;
      return;
    }
    const workload: Workload = {
      uid,
      name: pod.name,
      namespace: pod.namespace,
      serviceAccount: pod.serviceAccount,
      node: pod.node,
      ips: pod.ips,
      labels: sortedLabels(pod.labels),
      enrolled: isEnrolled(pod, this.#namespaces.get(pod.namespace), this.#options.meshNamespace),
      ...(pod.mode ? { mode: pod.mode } : {}),
      ...(pod.workload ? { workload: pod.workload } : {}),
    };
    const next = entry({ kind: 'workload', workload });
    if (before?.fingerprint === next.fingerprint) return;
    this.#workloads.set(uid, { ...next, workload, remote: entry({ kind: 'workload', workload: { ...workload, labels: {} } }) });
    if (!before) for (const service of this.#servicesByPod.get(uid) ?? []) this.#dirtyServices.add(service);
    this.#changed = true;
  }

  #rebuildService(key: string): void {
    const facts = this.#serviceFacts.get(key);
    const slices = [...(this.#slicesByService.get(key) ?? [])].flatMap((k) => this.#slices.get(k) ?? []);
    const service = facts ? serviceOf(facts, slices, (uid) => this.#workloads.has(uid)) : undefined;
    const before = this.#services.get(key);
    const next = service ? { ...entry({ kind: 'service', service }), service } : undefined;
    if (before?.fingerprint === next?.fingerprint) return;
    for (const uid of before?.service.endpoints ?? []) {
      const left = (this.#endpointCounts.get(uid) ?? 1) - 1;
      if (left > 0) this.#endpointCounts.set(uid, left);
      else this.#endpointCounts.delete(uid);
    }
    for (const uid of next?.service.endpoints ?? []) this.#endpointCounts.set(uid, (this.#endpointCounts.get(uid) ?? 0) + 1);
    if (next) this.#services.set(key, next);
    else this.#services.delete(key);
    this.#changed = true;
  }
}
