import { canonicalIp } from './canonical-ip.js';
import type { AuthorizationPolicy, MeshSnapshot, Service, ServicePort, Workload } from './mesh-types.js';
import { isPeerAuthenticationMode, peerAuthenticationModes, settingsProblems } from './mesh-settings.js';

/** A service found by one of its cluster IPs, with the port that was asked for. */
export interface ServiceAtVip {
  readonly service: Service;
  readonly port: ServicePort;
}

export type SnapshotList = 'workloads' | 'services' | 'policies';

/** How a problem names an entry (default `workloads[3]`); a parser can point into its own source. */
export type PathOf = (list: SnapshotList, index: number) => string;

export interface MeshIndexOptions {
  pathOf?: PathOf;
}

const none: readonly never[] = Object.freeze([]);
const policyActions: readonly string[] = ['ALLOW', 'DENY'];

/** Whether a policy applies to a workload: same namespace and every selector label present. */
export function policyAppliesTo(policy: AuthorizationPolicy, workload: Workload): boolean {
  if (policy.namespace !== workload.namespace) return false;
  for (const [key, value] of Object.entries(policy.selector ?? {})) {
    if (!Object.hasOwn(workload.labels, key) || workload.labels[key] !== value) return false;
  }
  return true;
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * The lookup tables of one snapshot, built once so every read is a map access, and the
 * list of what makes the snapshot unusable (empty when it is fine). Built for every
 * candidate snapshot: validating and indexing look at the same things, so they are one pass.
 */
export class MeshIndex {
  readonly snapshot: MeshSnapshot;
  readonly problems: readonly string[];
  readonly #byUid = new Map<string, Workload>();
  readonly #byIp = new Map<string, Workload>();
  readonly #byVip = new Map<string, Map<number, ServiceAtVip>>();
  readonly #byNode = new Map<string, Workload[]>();
  readonly #endpoints = new Map<Service, readonly Workload[]>();
  readonly #policiesByNamespace = new Map<string, AuthorizationPolicy[]>();
  /** Filled on first ask: most workloads in a snapshot are never a destination on this node. */
  readonly #policiesOf = new Map<Workload, readonly AuthorizationPolicy[]>();

  constructor(snapshot: MeshSnapshot, options: MeshIndexOptions = {}) {
    const pathOf: PathOf = options.pathOf ?? ((list, index) => `${list}[${index}]`);
    const problems: string[] = [];
    if (snapshot.version === '') problems.push('version: is empty');
    problems.push(...settingsProblems(snapshot.settings));
    this.#indexWorkloads(snapshot.workloads, pathOf, problems);
    this.#indexServices(snapshot.services, pathOf, problems);
    this.#indexPolicies(snapshot.policies, pathOf, problems);
    for (const list of this.#byNode.values()) Object.freeze(list);
    this.snapshot = snapshot;
    this.problems = problems;
  }

  #indexWorkloads(workloads: readonly Workload[], pathOf: PathOf, problems: string[]): void {
    const pathOfUid = new Map<string, string>();
    const ownerOfIp = new Map<string, { workload: Workload; path: string }>();
    workloads.forEach((workload, i) => {
      const path = pathOf('workloads', i);
      const first = pathOfUid.get(workload.uid);
      if (workload.uid === '') problems.push(`${path}.uid: is empty`);
      else if (first !== undefined) problems.push(`${path}.uid: ${JSON.stringify(workload.uid)} is also the uid of ${first}`);
      else pathOfUid.set(workload.uid, path);
      this.#byUid.set(workload.uid, this.#byUid.get(workload.uid) ?? workload);
      for (const [j, ip] of workload.ips.entries()) {
        const canonical = canonicalIp(ip);
        const owner = ownerOfIp.get(ip);
        if (canonical === undefined) problems.push(`${path}.ips[${j}]: ${JSON.stringify(ip)} is not an IP address`);
        else if (canonical !== ip) problems.push(`${path}.ips[${j}]: ${JSON.stringify(ip)} is not in canonical form (${canonical})`);
        else if (owner === undefined) {
          ownerOfIp.set(ip, { workload, path });
          this.#byIp.set(ip, workload);
        } else if (owner.workload !== workload) {
          problems.push(`${path}.ips[${j}]: ${ip} is also an IP of workload ${JSON.stringify(owner.workload.uid)} (${owner.path})`);
        }
      }
      if (workload.mode !== undefined && !isPeerAuthenticationMode(workload.mode)) {
        problems.push(`${path}.mode: ${JSON.stringify(workload.mode)} is not one of ${peerAuthenticationModes.join(', ')}`);
      }
      const onNode = this.#byNode.get(workload.node);
      if (onNode) onNode.push(workload);
      else this.#byNode.set(workload.node, [workload]);
    });
  }

  #indexServices(services: readonly Service[], pathOf: PathOf, problems: string[]): void {
    const pathOfName = new Map<string, string>();
    const servedAt = new Map<string, string>();
    services.forEach((service, i) => {
      const path = pathOf('services', i);
      const name = `${service.namespace}/${service.name}`;
      const first = pathOfName.get(name);
      if (first !== undefined) problems.push(`${path}: service ${name} is also declared at ${first}`);
      else pathOfName.set(name, path);
      service.ports.forEach((port, j) => {
        if (!isPort(port.port)) problems.push(`${path}.ports[${j}].port: ${port.port} is not a port (1-65535)`);
        if (!isPort(port.targetPort)) problems.push(`${path}.ports[${j}].targetPort: ${port.targetPort} is not a port (1-65535)`);
      });
      for (const [j, vip] of service.vips.entries()) {
        const canonical = canonicalIp(vip);
        if (canonical === undefined) problems.push(`${path}.vips[${j}]: ${JSON.stringify(vip)} is not an IP address`);
        else if (canonical !== vip) problems.push(`${path}.vips[${j}]: ${JSON.stringify(vip)} is not in canonical form (${canonical})`);
        else this.#indexVip({ vip, service, path: `${path}.vips[${j}]`, servedAt, problems });
      }
      const endpoints = service.endpoints.flatMap((uid) => this.#byUid.get(uid) ?? []);
      this.#endpoints.set(service, Object.freeze(endpoints));
    });
  }

  #indexVip(entry: { vip: string; service: Service; path: string; servedAt: Map<string, string>; problems: string[] }): void {
    const { vip, service, path, servedAt, problems } = entry;
    const ports = this.#byVip.get(vip) ?? new Map<number, ServiceAtVip>();
    this.#byVip.set(vip, ports);
    for (const port of service.ports) {
      const other = ports.get(port.port);
      // The same service may list a port twice (TCP and UDP in Kubernetes); the first wins.
      if (other === undefined) {
        servedAt.set(`${vip} ${port.port}`, path);
        ports.set(port.port, Object.freeze({ service, port }));
      } else if (other.service !== service) {
        problems.push(`${path}: ${vip} port ${port.port} is also served by ${servedAt.get(`${vip} ${port.port}`) ?? 'another service'}`);
      }
    }
  }

  #indexPolicies(policies: readonly AuthorizationPolicy[], pathOf: PathOf, problems: string[]): void {
    const pathOfName = new Map<string, string>();
    policies.forEach((policy, i) => {
      const path = pathOf('policies', i);
      const name = `${policy.namespace}/${policy.name}`;
      const first = pathOfName.get(name);
      if (first !== undefined) problems.push(`${path}: policy ${name} is also declared at ${first}`);
      else pathOfName.set(name, path);
      // The type allows nothing else, but a snapshot is built from wire data by code that may lag the types.
      if (!policyActions.includes(policy.action)) {
        problems.push(`${path}.action: ${JSON.stringify(policy.action)} is not one of ALLOW, DENY`);
      }
      policy.rules.forEach((rule, j) =>
        rule.toPorts?.forEach((port, k) => {
          if (!isPort(port)) problems.push(`${path}.rules[${j}].toPorts[${k}]: ${port} is not a port (1-65535)`);
        }),
      );
      const inNamespace = this.#policiesByNamespace.get(policy.namespace);
      if (inNamespace) inNamespace.push(policy);
      else this.#policiesByNamespace.set(policy.namespace, [policy]);
    });
  }

  workloadByUid(uid: string): Workload | undefined {
    return this.#byUid.get(uid);
  }

  workloadByIp(ip: string): Workload | undefined {
    const found = this.#byIp.get(ip);
    if (found) return found;
    const canonical = canonicalIp(ip);
    return canonical === undefined || canonical === ip ? undefined : this.#byIp.get(canonical);
  }

  serviceByVip(ip: string, port: number): ServiceAtVip | undefined {
    const ports = this.#byVip.get(ip) ?? this.#byVip.get(canonicalIp(ip) ?? ip);
    return ports?.get(port);
  }

  endpointsOf(service: Service): readonly Workload[] {
    const known = this.#endpoints.get(service);
    if (known) return known;
    // A service object from an earlier snapshot: its uids, resolved against this one.
    return Object.freeze(service.endpoints.flatMap((uid) => this.#byUid.get(uid) ?? []));
  }

  workloadsOnNode(node: string): readonly Workload[] {
    return this.#byNode.get(node) ?? none;
  }

  policiesFor(workload: Workload): readonly AuthorizationPolicy[] {
    const known = this.#policiesOf.get(workload);
    if (known) return known;
    const candidates = this.#policiesByNamespace.get(workload.namespace) ?? none;
    const applying = Object.freeze(candidates.filter((policy) => policyAppliesTo(policy, workload)));
    // Only the snapshot's own workloads are remembered, so a caller's object cannot grow the cache.
    if (this.#byUid.get(workload.uid) === workload) this.#policiesOf.set(workload, applying);
    return applying;
  }
}
