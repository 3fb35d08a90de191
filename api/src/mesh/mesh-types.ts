/**
 * The mesh in Weft's own terms: what the control plane translates Kubernetes into and what
 * every agent runs on. Wire (protobuf) and Kubernetes types are converted to these where
 * they arrive (`mesh-wire.ts` here, the control plane's translation); nothing deeper sees them.
 */

/** spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount> */
export type SpiffeIdText = `spiffe://${string}`;

/** How a workload accepts connections that do not come through the mesh (plaintext). */
export type PeerAuthenticationMode = 'STRICT' | 'PERMISSIVE';

export interface Workload {
  /** Kubernetes pod uid (or any stable unique name). */
  uid: string;
  name: string;
  namespace: string;
  serviceAccount: string;
  /** The node whose agent serves it. */
  node: string;
  /** Canonical text of each IP; the first is the primary. */
  ips: string[];
  labels: Readonly<Record<string, string>>;
  /** Whether its traffic goes through Weft (the namespace or pod label). */
  enrolled: boolean;
  /** Effective mode for plaintext inbound; default from the mesh settings. */
  mode?: PeerAuthenticationMode;
  /**
   * What runs the pod (its Deployment, StatefulSet, DaemonSet, Job…), by name; unset for
   * a pod nothing owns. Metrics name the workload by it, else by the pod's name.
   */
  workload?: string;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number;
  /** A hint for protocol detection: 'http', 'http2', 'grpc', 'tcp' (skip detection), or unset. */
  appProtocol?: AppProtocolHint;
}

export type AppProtocolHint = 'http' | 'http2' | 'grpc' | 'tcp';

export const appProtocolHints: readonly AppProtocolHint[] = ['http', 'http2', 'grpc', 'tcp'];

export interface Service {
  name: string;
  namespace: string;
  /** Cluster IPs (VIPs), canonical text. */
  vips: string[];
  ports: ServicePort[];
  /** uids of the workloads behind it (from EndpointSlices; ready endpoints only). */
  endpoints: string[];
}

/** Who a rule is about; an empty list means "anyone" for that field. */
export interface PolicyRule {
  /** Source SPIFFE IDs, exact or a trailing '*' prefix. */
  fromIdentities?: string[];
  fromNamespaces?: string[];
  /** Destination ports (of the workload, i.e. target ports). */
  toPorts?: number[];
}

export interface AuthorizationPolicy {
  name: string;
  namespace: string;
  /** Applies to workloads of this namespace whose labels include all of these (none: all of them). */
  selector?: Readonly<Record<string, string>>;
  action: 'ALLOW' | 'DENY';
  /** The policy matches a connection when any rule matches. */
  rules: PolicyRule[];
}

export interface MeshSettings {
  trustDomain: string;
  /** Default mode for plaintext inbound (per namespace and workload overrides elsewhere). */
  defaultMode: PeerAuthenticationMode;
  /** Outbound to a destination outside the mesh: pass it through or refuse it. */
  outboundPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** Namespaces in STRICT or PERMISSIVE mode, overriding defaultMode. */
  namespaceModes: Readonly<Record<string, PeerAuthenticationMode>>;
}

export function spiffeIdOf(workload: Pick<Workload, 'namespace' | 'serviceAccount'>, trustDomain: string): SpiffeIdText {
  return `spiffe://${trustDomain}/ns/${workload.namespace}/sa/${workload.serviceAccount}`;
}

/** One unit of the configuration stream: each is sent whole and replaced whole. */
export type MeshResource =
  | { kind: 'settings'; settings: MeshSettings }
  | { kind: 'workload'; workload: Workload }
  | { kind: 'service'; service: Service }
  | { kind: 'policy'; policy: AuthorizationPolicy };

export type ResourceKind = MeshResource['kind'];

/** Names a resource: settings "mesh"; a workload its uid; a service or policy "<namespace>/<name>". */
export interface ResourceKey {
  kind: ResourceKind;
  key: string;
}

export function keyOf(resource: MeshResource): ResourceKey {
  switch (resource.kind) {
    case 'settings':
      return { kind: 'settings', key: 'mesh' };
    case 'workload':
      return { kind: 'workload', key: resource.workload.uid };
    case 'service':
      return { kind: 'service', key: `${resource.service.namespace}/${resource.service.name}` };
    case 'policy':
      return { kind: 'policy', key: `${resource.policy.namespace}/${resource.policy.name}` };
  }
}

/** One string per resource key, for maps. */
export function keyText(key: ResourceKey): string {
  return `${key.kind}:${key.key}`;
}

const resourceKinds: readonly ResourceKind[] = ['settings', 'workload', 'service', 'policy'];

/** The key a keyText() names, or undefined for text keyText() never makes. */
export function keyFromText(text: string): ResourceKey | undefined {
  const colon = text.indexOf(':');
  const kind = resourceKinds.find((k) => k === text.slice(0, colon));
  return colon < 0 || kind === undefined ? undefined : { kind, key: text.slice(colon + 1) };
}

/**
 * One message of the configuration stream: the node's version after it, and either a full
 * snapshot (baseVersion '') or the changes since baseVersion.
 */
export interface MeshUpdate {
  version: string;
  baseVersion: string;
  upserts: MeshResource[];
  removals: ResourceKey[];
}
