import { ClusterError } from '../cli-error.js';
import type { ProxyTarget } from '../cluster.js';
import type { CheckEnvironment } from './check.js';
import type { PodList } from './kube-reads.js';

/** What an agent's /debug/state says (agent/src/admin-server.ts). */
export interface AgentState {
  version: string;
  source?: { connected: boolean; version: string; refused: number; telemetry?: unknown };
  enrolled: { uid: string; name: string; namespace: string; identity: string; strict: boolean; certificateExpiry?: string }[];
}

export interface AgentReport {
  pod: string;
  node: string;
  state?: AgentState;
  error?: string;
}

export const agentAdminPort = 15020;
export const controlService = (namespace: string): ProxyTarget => ({ kind: 'services', namespace, name: 'weft-control', port: 'http' });

export function agentPods(env: CheckEnvironment): Promise<PodList> {
  return env.once('agent-pods', () =>
    env.cluster().getJson<PodList>(`/api/v1/namespaces/${env.weftNamespace}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/name=weft-agent')}`),
  );
}

/** Every agent's /debug/state, through the API server's pod proxy; an unreachable agent is reported, not thrown. */
export function agentReports(env: CheckEnvironment): Promise<AgentReport[]> {
  return env.once('agent-states', async () => {
    const pods = (await agentPods(env)).items;
    return Promise.all(
      pods.map(async (pod): Promise<AgentReport> => {
        const base = { pod: pod.metadata.name, node: pod.spec.nodeName ?? '' };
        try {
          const reply = await env.cluster().proxyGet({ kind: 'pods', namespace: env.weftNamespace, name: pod.metadata.name, port: agentAdminPort }, '/debug/state');
          if (reply.status !== 200) return { ...base, error: `/debug/state answered ${reply.status}: ${reply.body.trim().slice(0, 200)}` };
          return { ...base, state: JSON.parse(reply.body) as AgentState };
        } catch (error) {
          return { ...base, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  });
}

/** The control plane's /metrics, for the CA's expiry gauges. */
export function controlMetrics(env: CheckEnvironment): Promise<string> {
  return env.once('control-metrics', async () => {
    const reply = await env.cluster().proxyGet(controlService(env.weftNamespace), '/metrics');
    if (reply.status !== 200) throw new ClusterError(`the control plane's /metrics answered ${reply.status}`, { status: reply.status });
    return reply.body;
  });
}

/** The value of an unlabelled sample in a Prometheus exposition. */
export function gauge(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
