import { X509Certificate } from 'node:crypto';
import type { Check, CheckItem, CheckOutcome } from './check.js';
import { preChecks } from './pre-checks.js';
import { agentPods, agentReports, controlMetrics, controlService, gauge } from './weft-reads.js';

const day = 86_400_000;
/** A mesh root or intermediate this close to its end is a warning: rotate it. */
export const anchorWarning = 30 * day;
/** Workload certificates renew at half-life: one this close to its end is not being renewed. */
export const workloadWarning = 10 * 60_000;

export const crdName = 'authorizationpolicies.policy.weft.dev';

function expiryItem(description: string, expiresMs: number | undefined, warnWithinMs: number, now: number): CheckItem {
  if (expiresMs === undefined || !Number.isFinite(expiresMs)) return { description, status: 'failed', detail: 'no expiry known' };
  const left = expiresMs - now;
  const detail = `expires ${new Date(expiresMs).toISOString()}`;
  if (left <= 0) return { description, status: 'failed', detail: `expired ${new Date(expiresMs).toISOString()}` };
  return { description, status: left < warnWithinMs ? 'warning' : 'ok', detail };
}

const worst = (items: CheckItem[]): CheckOutcome['status'] => (items.some((i) => i.status === 'failed') ? 'failed' : items.some((i) => i.status === 'warning') ? 'warning' : 'ok');

const debugHint = (what: string, namespace: string): string => `kubectl -n ${namespace} describe ${what}; its log: kubectl -n ${namespace} logs ${what}`;

/** `weft check`: an installed mesh is healthy. */
export const installChecks: Check[] = [
  ...preChecks.filter((c) => c.id === 'kube-api'),
  {
    id: 'crd',
    category: 'weft-crds',
    description: `the ${crdName} CRD is installed and established`,
    hint: 'install Weft with its chart (the CRD is in helm/weft/crds/; helm does not upgrade CRDs: kubectl apply -f helm/weft/crds/)',
    needs: ['kube-api'],
    run: async (env) => {
      const crd = await env.cluster().getJson<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`);
      const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
      return { status: established ? 'ok' : 'failed', ...(established ? {} : { detail: 'not established yet' }) };
    },
  },
  {
    id: 'control-available',
    category: 'weft-control-plane',
    description: 'the control plane Deployment is available',
    hint: "helm -n weft-system status weft; or see 'kubectl -n weft-system describe deploy/weft-control'",
    needs: ['kube-api'],
    run: async (env) => {
      const deploy = await env.cluster().getJson<{ spec?: { replicas?: number }; status?: { availableReplicas?: number } }>(`/apis/apps/v1/namespaces/${env.weftNamespace}/deployments/weft-control`);
      const want = deploy.spec?.replicas ?? 1;
      const have = deploy.status?.availableReplicas ?? 0;
      return { status: have >= 1 ? 'ok' : 'failed', detail: `${have} of ${want} replicas available`, hint: debugHint('deploy/weft-control', env.weftNamespace) };
    },
  },
  {
    id: 'control-ready',
    category: 'weft-control-plane',
    description: 'the control plane answers ready (trust anchor loaded, watches synced)',
    hint: 'the control plane is up but not ready: its log says which part is missing',
    needs: ['control-available'],
    run: async (env) => {
      const reply = await env.cluster().proxyGet(controlService(env.weftNamespace), '/readyz');
      return { status: reply.status === 200 ? 'ok' : 'failed', detail: reply.body.trim().slice(0, 200), hint: debugHint('deploy/weft-control', env.weftNamespace) };
    },
  },
  {
    id: 'mesh-certificates',
    category: 'weft-identity',
    description: 'the mesh root and the signing intermediate are valid and not near expiry',
    hint: 'a root or intermediate within 30 days of its end must be rotated: install a new trust anchor (docs/ARCHITECTURE.md, identity)',
    needs: ['control-ready'],
    run: async (env) => {
      const metrics = await controlMetrics(env);
      const now = Date.now();
      const seconds = (name: string): number | undefined => {
        const value = gauge(metrics, name);
        return value === undefined ? undefined : value * 1000;
      };
      const items = [
        expiryItem('root', seconds('weft_ca_root_expiry_timestamp_seconds'), anchorWarning, now),
        expiryItem('intermediate', seconds('weft_ca_intermediate_expiry_timestamp_seconds'), anchorWarning, now),
      ];
      return { status: worst(items), items };
    },
  },
  {
    id: 'trust-bundle',
    category: 'weft-identity',
    description: 'the trust bundle the agents mount is published and valid',
    hint: 'the control plane publishes it on start into the ConfigMap weft-trust-bundle; its log says why it could not',
    needs: ['control-ready'],
    run: async (env) => {
      const map = await env.cluster().getJson<{ data?: Record<string, string> }>(`/api/v1/namespaces/${env.weftNamespace}/configmaps/weft-trust-bundle`);
      const pem = map.data?.['root.crt'];
      if (!pem) return { status: 'failed', detail: 'root.crt is empty' };
      const root = new X509Certificate(pem);
      const item = expiryItem(root.subject.replace(/\n/g, ', '), Date.parse(root.validTo), anchorWarning, Date.now());
      return { status: item.status, items: [item] };
    },
  },
  {
    id: 'agents-ready',
    category: 'weft-agents',
    description: 'an agent runs and is ready on every node',
    hint: "see 'kubectl -n weft-system describe ds/weft-agent'; an agent that is not ready logs why (kernel, bpffs, cgroup)",
    needs: ['kube-api'],
    run: async (env) => {
      const ds = await env.cluster().getJson<{ status?: { desiredNumberScheduled?: number; numberReady?: number } }>(`/apis/apps/v1/namespaces/${env.weftNamespace}/daemonsets/weft-agent`);
      const want = ds.status?.desiredNumberScheduled ?? 0;
      const ready = ds.status?.numberReady ?? 0;
      const items = (await agentPods(env)).items.map((pod): CheckItem => {
        const isReady = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
        return { description: `${pod.spec.nodeName ?? '?'}: ${pod.metadata.name}`, status: isReady ? 'ok' : 'failed', detail: pod.status.phase ?? 'unknown' };
      });
      return { status: want > 0 && ready === want ? 'ok' : 'failed', detail: `${ready} of ${want} ready`, items };
    },
  },
  {
    id: 'agents-connected',
    category: 'weft-agents',
    description: 'every agent follows the control plane and runs the current mesh state',
    hint: 'an agent that is not connected cannot reach weft-control:15012 (a NetworkPolicy?) or was refused (its log says why)',
    needs: ['agents-ready', 'control-ready'],
    run: async (env) => {
      const reports = await agentReports(env);
      // Versions are "<control plane instance>.<sequence>", counted per instance: an agent on
      // the current state holds one of the instance the others hold, and refused nothing.
      const instanceOf = (version: string): string => version.slice(0, version.lastIndexOf('.'));
      const instances = new Map<string, number>();
      for (const r of reports) if (r.state?.source?.connected) instances.set(instanceOf(r.state.version), (instances.get(instanceOf(r.state.version)) ?? 0) + 1);
      const current = [...instances].sort((a, b) => b[1] - a[1])[0]?.[0];
      const streams = gauge(await controlMetrics(env), 'weft_config_streams') ?? 0;
      const items = reports.map((r): CheckItem => {
        const name = `${r.node}: ${r.pod}`;
        if (!r.state) return { description: name, status: 'failed', detail: r.error ?? 'no state' };
        const source = r.state.source;
        if (!source) return { description: name, status: 'failed', detail: 'runs a static config, not the control plane' };
        if (!source.connected) return { description: name, status: 'failed', detail: `disconnected, serving version ${r.state.version}` };
        if (instanceOf(r.state.version) !== current) return { description: name, status: 'failed', detail: `version ${r.state.version} is not of the control plane the others follow (${current ?? '?'})` };
        if (source.refused > 0) return { description: name, status: 'warning', detail: `refused ${source.refused} update(s)`, hint: `the agent's log says why: kubectl -n ${env.weftNamespace} logs ${r.pod}` };
        return { description: name, status: 'ok', detail: `version ${r.state.version}, ${r.state.enrolled.length} pod(s) enrolled` };
      });
      if (streams < reports.length) items.push({ description: 'the control plane', status: 'failed', detail: `sees ${streams} config stream(s) for ${reports.length} agent(s)` });
      return { status: items.length > 0 ? worst(items) : 'failed', items };
    },
  },
  {
    id: 'workload-certificates',
    category: 'weft-agents',
    description: "the workload certificates the agents hold are valid and renewing",
    hint: 'a certificate near its end is not being renewed: the agent log shows the CA errors (WEFT_CA_* codes)',
    needs: ['agents-connected'],
    run: async (env) => {
      const now = Date.now();
      const items = (await agentReports(env)).flatMap((r) =>
        (r.state?.enrolled ?? []).filter((w) => w.certificateExpiry !== undefined).map((w) => expiryItem(`${r.node}: ${w.identity} (${w.namespace}/${w.name})`, Date.parse(w.certificateExpiry ?? ''), workloadWarning, now)),
      );
      return { status: worst(items), detail: `${items.length} certificate(s)`, ...(items.some((i) => i.status !== 'ok') ? { items: items.filter((i) => i.status !== 'ok') } : {}) };
    },
  },
];
