import { isIP } from 'node:net';
import type { V1EndpointSlice, V1Namespace, V1Pod, V1Service } from '@kubernetes/client-node';
import type { AppProtocolHint, PeerAuthenticationMode, Service, ServicePort } from '@weft/api';

/**
 * Kubernetes objects become facts here, and nowhere else: the model and everything after
 * it see only these and the mesh's domain types. Every function is pure.
 */

/** Enrollment: on a namespace, and on a pod to override its namespace either way. */
export const meshLabel = 'weft.dev/mesh';
/** Plaintext inbound: `strict` or `permissive`, on a namespace or a pod. */
export const mtlsModeLabel = 'weft.dev/mtls-mode';

export interface NamespaceFacts {
  name: string;
  enrolled: boolean;
  mode?: PeerAuthenticationMode;
}

export interface PodFacts {
  uid: string;
  name: string;
  namespace: string;
  serviceAccount: string;
  node: string;
  ips: string[];
  labels: Record<string, string>;
  /** The pod's own weft.dev/mesh label, if it says enabled or disabled. */
  enrollment?: 'enabled' | 'disabled';
  mode?: PeerAuthenticationMode;
  /** The workload it belongs to, for the traffic map: its Deployment, StatefulSet, DaemonSet, Job…; unset: the pod itself. */
  workload?: string;
  /** Being deleted: it keeps its place until it is gone, but a newer pod wins its IP. */
  terminating: boolean;
  createdMs: number;
}

export interface ServicePortFacts {
  name?: string;
  port: number;
  /** A number, or the name of a container port (resolved through the EndpointSlices). */
  targetPort: number | string;
  appProtocol?: AppProtocolHint;
}

export interface ServiceFacts {
  name: string;
  namespace: string;
  vips: string[];
  ports: ServicePortFacts[];
}

export interface SliceFacts {
  /** "<namespace>/<service>" */
  service: string;
  endpoints: { podUid?: string; ready: boolean }[];
  /** Port name (the service port's name) → number. */
  ports: Map<string, number>;
}

/**
 * One text form per address, as the agents key them: dotted IPv4, RFC 5952 IPv6 (the
 * WHATWG URL serializer compresses exactly so), an IPv4-mapped address as its IPv4.
 */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return undefined;
  const compressed = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const high = parseInt(mapped[1] ?? '0', 16);
  const low = parseInt(mapped[2] ?? '0', 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * A list of a Kubernetes object as the watch delivers it: the API server's JSON unchanged,
 * where an empty list may be null although client-node's types say it is always there.
 */
function listOf<T>(items: readonly T[] | null | undefined): readonly T[] {
  return items ?? [];
}

function modeOf(labels: Record<string, string> | undefined): PeerAuthenticationMode | undefined {
  const value = labels?.[mtlsModeLabel]?.toLowerCase();
  return value === 'strict' ? 'STRICT' : value === 'permissive' ? 'PERMISSIVE' : undefined;
}

export function namespaceFromK8s(namespace: V1Namespace): NamespaceFacts | undefined {
  const name = namespace.metadata?.name;
  if (!name) return undefined;
  const labels = namespace.metadata?.labels;
  const mode = modeOf(labels);
  return { name, enrolled: labels?.[meshLabel] === 'enabled', ...(mode ? { mode } : {}) };
}

/**
 * A pod that can be a workload: running, with an IP, on a node, in its own network
 * namespace. Anything else (pending, finished, hostNetwork) is no workload at all.
 */
export function podFromK8s(pod: V1Pod): PodFacts | undefined {
  const { metadata, spec, status } = pod;
  const uid = metadata?.uid;
  const name = metadata?.name;
  const namespace = metadata?.namespace;
  const node = spec?.nodeName;
  if (!uid || !name || !namespace || !node || spec.hostNetwork === true || status?.phase !== 'Running') return undefined;
  const texts = status.podIPs?.map((p) => p.ip) ?? (status.podIP ? [status.podIP] : []);
  const ips = [...new Set(texts.flatMap((ip) => canonicalIp(ip) ?? []))];
  if (ips.length === 0) return undefined;
  const labels = { ...metadata.labels };
  const own = labels[meshLabel];
  const mode = modeOf(labels);
  const workload = workloadOf(pod);
  return {
    uid,
    name,
    namespace,
    serviceAccount: spec.serviceAccountName || 'default',
    node,
    ips,
    labels,
    ...(own === 'enabled' || own === 'disabled' ? { enrollment: own } : {}),
    ...(mode ? { mode } : {}),
    ...(workload ? { workload } : {}),
    terminating: metadata.deletionTimestamp !== undefined,
    createdMs: metadata.creationTimestamp ? new Date(metadata.creationTimestamp).getTime() : 0,
  };
}

/**
 * The name of what runs the pod: a ReplicaSet's pods belong to its Deployment (the
 * ReplicaSet is named <deployment>-<pod-template-hash>), other owners by their own name.
 */
export function workloadOf(pod: V1Pod): string | undefined {
  const owner = listOf(pod.metadata?.ownerReferences).find((o) => o.controller === true) ?? listOf(pod.metadata?.ownerReferences)[0];
  if (!owner?.name) return undefined;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
  return owner.name;
}

/** Whether a pod's traffic goes through Weft: its own label, else its namespace's; never the mesh's own pods. */
export function isEnrolled(pod: PodFacts, namespace: NamespaceFacts | undefined, meshNamespace: string): boolean {
  if (pod.namespace === meshNamespace) return false;
  if (pod.enrollment) return pod.enrollment === 'enabled';
  return namespace?.enrolled === true;
}

const appProtocols: Record<string, AppProtocolHint> = { http: 'http', 'kubernetes.io/h2c': 'http2', h2c: 'http2', http2: 'http2', grpc: 'grpc', tcp: 'tcp' };

/** Kubernetes' appProtocol, else the port name's prefix (Istio's convention: http-web, grpc-api). */
function appProtocolOf(appProtocol: string | undefined, name: string | undefined): AppProtocolHint | undefined {
  const key = appProtocol ? appProtocol.toLowerCase() : name?.split('-')[0]?.toLowerCase();
  // hasOwn: a port may well be named "constructor".
  return key !== undefined && Object.hasOwn(appProtocols, key) ? appProtocols[key] : undefined;
}

/** A service with cluster IPs and TCP ports; headless and ExternalName services have no VIP to capture. */
export function serviceFromK8s(service: V1Service): ServiceFacts | undefined {
  const name = service.metadata?.name;
  const namespace = service.metadata?.namespace;
  const spec = service.spec;
  if (!name || !namespace || !spec || spec.type === 'ExternalName') return undefined;
  const vips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).flatMap((ip) => (ip === 'None' ? [] : (canonicalIp(ip) ?? [])));
  const ports = (spec.ports ?? [])
    .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
    .map((p): ServicePortFacts => {
      const hint = appProtocolOf(p.appProtocol, p.name);
      return { ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort ?? p.port, ...(hint ? { appProtocol: hint } : {}) };
    });
  if (vips.length === 0 || ports.length === 0) return undefined;
  return { name, namespace, vips, ports };
}

export function sliceFromK8s(slice: V1EndpointSlice): SliceFacts | undefined {
  const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
  const namespace = slice.metadata?.namespace;
  if (!service || !namespace || slice.addressType === 'FQDN') return undefined;
  const ports = new Map<string, number>();
  for (const p of slice.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP' && typeof p.port === 'number') ports.set(p.name ?? '', p.port);
  return {
    service: `${namespace}/${service}`,
    endpoints: listOf(slice.endpoints).map((e) => ({
      ...(e.targetRef?.kind === 'Pod' && e.targetRef.uid ? { podUid: e.targetRef.uid } : {}),
      ready: e.conditions?.ready !== false,
    })),
    ports,
  };
}

/**
 * The service as the mesh serves it, or undefined when some endpoint is not a pod the mesh
 * knows (the API server itself, a hostNetwork pod, a manual endpoint): such a service is
 * left to kube-proxy and its traffic passes through the agents unchanged.
 */
export function serviceOf(facts: ServiceFacts, slices: readonly SliceFacts[], isWorkload: (uid: string) => boolean): Service | undefined {
  const endpoints = new Set<string>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints) {
      // A pod still starting is listed not ready before it runs; it is no reason to leave the mesh.
      if (!endpoint.ready && endpoint.podUid && !isWorkload(endpoint.podUid)) continue;
      if (!endpoint.podUid || !isWorkload(endpoint.podUid)) return undefined;
      if (endpoint.ready) endpoints.add(endpoint.podUid);
    }
  }
  const ports: ServicePort[] = [];
  for (const p of facts.ports) {
    const resolved = slices.map((s) => s.ports.get(p.name ?? '')).find((n) => n !== undefined);
    const targetPort = resolved ?? (typeof p.targetPort === 'number' ? p.targetPort : undefined);
    // A named target port with no endpoint to name it has nothing to reach yet.
    if (targetPort === undefined) continue;
    ports.push({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) });
  }
  if (ports.length === 0) return undefined;
  return { name: facts.name, namespace: facts.namespace, vips: facts.vips, ports, endpoints: [...endpoints].sort() };
}
