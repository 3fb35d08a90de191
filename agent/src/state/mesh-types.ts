/**
 * The agent's picture of the mesh, in its own terms. Whatever feeds it — the static config
 * file now, the control plane's stream later — converts into these types where it arrives;
 * nothing deeper sees a wire or file format.
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
  /** Path of its network namespace; set only for workloads on this agent's node. */
  netnsPath?: string;
  /** Effective mode for plaintext inbound; default from the mesh settings. */
  mode?: PeerAuthenticationMode;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number;
  /** A hint for protocol detection: 'http', 'http2', 'grpc', 'tcp' (skip detection), or unset. */
  appProtocol?: AppProtocolHint;
}

export type AppProtocolHint = 'http' | 'http2' | 'grpc' | 'tcp';

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

/** Everything the agent knows at one version. */
export interface MeshSnapshot {
  /** Increases with every change; reported as config version. */
  version: string;
  settings: MeshSettings;
  workloads: Workload[];
  services: Service[];
  policies: AuthorizationPolicy[];
}

export function spiffeIdOf(workload: Pick<Workload, 'namespace' | 'serviceAccount'>, trustDomain: string): SpiffeIdText {
  return `spiffe://${trustDomain}/ns/${workload.namespace}/sa/${workload.serviceAccount}`;
}
