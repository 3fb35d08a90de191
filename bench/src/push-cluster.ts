// The push bench's cluster: API objects only — nodes no kubelet runs, pods whose status the
// bench writes, services whose EndpointSlices the real controller makes — so a large mesh
// exists without a process per pod.
import { CoordinationV1Api, CoreV1Api, KubeConfig, V1MicroTime, type V1Pod } from '@kubernetes/client-node';

export interface PushClusterSize {
  nodes: number;
  pods: number;
  services: number;
}

export const benchNamespace = 'bench';
const nodeName = (i: number): string => `bench-${i}`;
/** 198.19.192.0/18: pod addresses of no testbed node, in the benchmarking range; nothing is sent to them. */
const podIp = (i: number): string => `198.19.${192 + Math.floor(i / 256)}.${i % 256}`;

/** Runs `work` for 0..count-1 with at most `limit` at once. */
export async function inParallel(count: number, limit: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/**
 * Keeps the bench's nodes Ready as a kubelet does — status once, then a Lease renewed every
 * 10 s — or the node lifecycle controller marks them NotReady after 40 s and every pod on
 * them not ready, churning every EndpointSlice in the middle of the measurement.
 */
async function keepNodesReady(kubeconfig: KubeConfig, core: CoreV1Api, count: number): Promise<() => void> {
  const leases = kubeconfig.makeApiClient(CoordinationV1Api);
  const names = Array.from({ length: count }, (_, n) => nodeName(n));
  for (const name of names) {
    const node = await core.readNode({ name });
    const now = new Date();
    node.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'weft push bench', lastHeartbeatTime: now, lastTransitionTime: now }] };
    await core.replaceNodeStatus({ name, body: node });
  }
  const renew = async (name: string): Promise<void> => {
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new V1MicroTime() };
    try {
      const lease = await leases.readNamespacedLease({ name, namespace: 'kube-node-lease' });
      lease.spec = spec;
      await leases.replaceNamespacedLease({ name, namespace: 'kube-node-lease', body: lease });
    } catch {
      await leases.createNamespacedLease({ namespace: 'kube-node-lease', body: { metadata: { name, namespace: 'kube-node-lease' }, spec } });
    }
  };
  await Promise.all(names.map(renew));
  const timer = setInterval(() => void Promise.all(names.map(renew)).catch(() => undefined), 10_000);
  return () => clearInterval(timer);
}

export function benchKubeConfig(path: string): { kubeconfig: KubeConfig; core: CoreV1Api } {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(path);
  return { kubeconfig, core: kubeconfig.makeApiClient(CoreV1Api) };
}

/** Without kubelets the nodes go NotReady and get NoExecute taints: the bench's pods stay. */
const tolerateEverything = [{ operator: 'Exists' }];

function benchPod(i: number, size: PushClusterSize): V1Pod {
  return {
    metadata: { name: `pod-${i}`, namespace: benchNamespace, labels: { app: `svc-${i % size.services}` } },
    spec: { nodeName: nodeName(i % size.nodes), serviceAccountName: 'default', tolerations: tolerateEverything, containers: [{ name: 'app', image: 'weft.dev/bench/none' }] },
  };
}

/** Marks a pod Running and Ready at its address, as a kubelet would. */
async function runPod(core: CoreV1Api, name: string, ip: string): Promise<void> {
  const pod = await core.readNamespacedPod({ name, namespace: benchNamespace });
  const now = new Date();
  pod.status = {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '198.18.0.250',
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
    ],
  };
  await core.replaceNamespacedPodStatus({ name, namespace: benchNamespace, body: pod });
}

/**
 * Creates the bench namespace (enrolled), the nodes, one agent pod per node (what the
 * agents' tokens are bound to), the services and the pods, and returns the agents' tokens.
 */
export async function createPushCluster(kubeconfig: KubeConfig, core: CoreV1Api, size: PushClusterSize, progress: (text: string) => void): Promise<{ tokens: string[]; stopHeartbeats: () => void }> {
  await core.createNamespace({ body: { metadata: { name: 'weft-system' } } });
  await core.createNamespacedServiceAccount({ namespace: 'weft-system', body: { metadata: { name: 'weft-agent' } } });
  await core.createNamespace({ body: { metadata: { name: benchNamespace, labels: { 'weft.dev/mesh': 'enabled' } } } });
  for (let n = 0; n < size.nodes; n++) await core.createNode({ body: { metadata: { name: nodeName(n), labels: { 'kubernetes.io/hostname': nodeName(n) } } } });
  const stopHeartbeats = await keepNodesReady(kubeconfig, core, size.nodes);
  const tokens: string[] = [];
  for (let n = 0; n < size.nodes; n++) {
    const name = `agent-${nodeName(n)}`;
    const agent = await core.createNamespacedPod({
      namespace: 'weft-system',
      body: { metadata: { name }, spec: { nodeName: nodeName(n), serviceAccountName: 'weft-agent', tolerations: tolerateEverything, containers: [{ name: 'agent', image: 'weft.dev/bench/none' }] } },
    });
    const request = await core.createNamespacedServiceAccountToken({
      name: 'weft-agent',
      namespace: 'weft-system',
      body: { spec: { audiences: [], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid: agent.metadata?.uid ?? '' } } },
    });
    tokens.push(request.status?.token ?? '');
  }
  progress(`creating ${size.services} services`);
  await inParallel(size.services, 8, (i) =>
    core.createNamespacedService({ namespace: benchNamespace, body: { metadata: { name: `svc-${i}` }, spec: { selector: { app: `svc-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } }),
  );
  progress(`creating ${size.pods} pods on ${size.nodes} nodes and marking them Running`);
  await inParallel(size.pods, 8, async (i) => {
    await core.createNamespacedPod({ namespace: benchNamespace, body: benchPod(i, size) });
    await runPod(core, `pod-${i}`, podIp(i));
  });
  return { tokens, stopHeartbeats };
}

/** Labels a pod in or out of the mesh: a change every agent's view carries (enrolled workloads go to every node). */
export async function toggleEnrollment(core: CoreV1Api, i: number, out: boolean): Promise<void> {
  const pod = await core.readNamespacedPod({ name: `pod-${i}`, namespace: benchNamespace });
  const labels: Record<string, string> = { ...pod.metadata?.labels };
  if (out) labels['weft.dev/mesh'] = 'disabled';
  else delete labels['weft.dev/mesh'];
  if (pod.metadata) pod.metadata.labels = labels;
  await core.replaceNamespacedPod({ name: `pod-${i}`, namespace: benchNamespace, body: pod });
}
