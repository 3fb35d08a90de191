import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Check, CheckEnvironment, CheckItem, CheckOutcome } from './check.js';
import { atLeast, nodes, serverVersion, versionPair } from './kube-reads.js';

export const minimumKubernetes: [number, number] = [1, 29];
export const minimumKernel: [number, number] = [5, 15];

/** What installing the chart creates; each must be allowed to whoever runs helm. */
const installVerbs: { group: string; resource: string; namespaced: boolean }[] = [
  { group: '', resource: 'namespaces', namespaced: false },
  { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', namespaced: false },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', namespaced: false },
  { group: 'apps', resource: 'daemonsets', namespaced: true },
  { group: 'apps', resource: 'deployments', namespaced: true },
  { group: '', resource: 'serviceaccounts', namespaced: true },
  { group: '', resource: 'services', namespaced: true },
  { group: '', resource: 'configmaps', namespaced: true },
  { group: '', resource: 'secrets', namespaced: true },
];

interface ProbeResult {
  id: string;
  description: string;
  ok: boolean;
  hint?: string;
  detail?: string;
}

/** The agent's own kernel probe (weft-probe), so `check --pre` and the agent test the same things. */
function probeCommand(env: CheckEnvironment): string[] {
  const explicit = env.env.WEFT_PROBE;
  if (explicit) return [explicit];
  const script = fileURLToPath(new URL('../../../agent/dist/probe-main.js', import.meta.url));
  return [process.execPath, script];
}

function runProbe(env: CheckEnvironment): Promise<ProbeResult[]> {
  const [command = '', ...args] = probeCommand(env);
  if (!command || (args.length > 0 && !existsSync(args[0] ?? ''))) {
    return Promise.reject(new Error(`the kernel probe is not built (${args[0] ?? command}); run 'make build' or set WEFT_PROBE`));
  }
  args.push('--output', 'json');
  for (const flag of ['mountinfo', 'pin-root', 'object']) {
    const value = env.options[flag];
    if (value !== undefined) args.push(`--${flag}`, value);
  }
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      // Exit 1 means "something is missing": the JSON still says what.
      if (error && error.code !== 1) return reject(new Error(`the kernel probe failed: ${stderr.trim() || error.message}`));
      try {
        resolve(JSON.parse(stdout) as ProbeResult[]);
      } catch {
        reject(new Error(`the kernel probe printed no results: ${stderr.trim()}`));
      }
    });
  });
}

const status = (ok: boolean): 'ok' | 'failed' => (ok ? 'ok' : 'failed');

/** `weft check --pre`: what must hold before `helm install`. */
export const preChecks: Check[] = [
  {
    id: 'kube-api',
    category: 'kubernetes-api',
    description: 'can reach the Kubernetes API',
    hint: 'is the cluster up, and are --kubeconfig and --context right? (`make demo` starts a local one)',
    run: async (env) => {
      const version = await serverVersion(env);
      return { status: 'ok', detail: `${env.cluster().server.origin}, ${version.gitVersion}` };
    },
  },
  {
    id: 'kube-version',
    category: 'kubernetes-version',
    description: `Kubernetes is v${minimumKubernetes.join('.')} or newer`,
    hint: `upgrade the cluster to Kubernetes ${minimumKubernetes.join('.')} or newer`,
    needs: ['kube-api'],
    run: async (env) => {
      const { gitVersion } = await serverVersion(env);
      const have = versionPair(gitVersion);
      return { status: status(have !== undefined && atLeast(have, minimumKubernetes)), detail: gitVersion };
    },
  },
  {
    id: 'node-kernels',
    category: 'kubernetes-version',
    description: `every node runs Linux ${minimumKernel.join('.')} or newer`,
    hint: `upgrade the nodes' kernels to ${minimumKernel.join('.')} or newer (sk_lookup, sockmap and cgroup sock_addr programs)`,
    needs: ['kube-api'],
    run: async (env): Promise<CheckOutcome> => {
      const items: CheckItem[] = (await nodes(env)).items.map((node) => {
        const kernel = node.status?.nodeInfo?.kernelVersion || 'unknown';
        const have = versionPair(kernel);
        return { description: node.metadata.name, status: status(have !== undefined && atLeast(have, minimumKernel)), detail: kernel };
      });
      if (items.length === 0) return { status: 'failed', detail: 'the cluster has no nodes', hint: 'add a node: Weft runs an agent on each' };
      return { status: items.every((i) => i.status === 'ok') ? 'ok' : 'failed', detail: `${items.length} node(s)`, items };
    },
  },
  {
    id: 'install-permissions',
    category: 'kubernetes-permissions',
    description: 'can create what the Helm chart installs',
    hint: "installing Weft needs these rights (cluster-admin has them); ask a cluster admin, or check with 'kubectl auth can-i create RESOURCE'",
    needs: ['kube-api'],
    run: async (env): Promise<CheckOutcome> => {
      const items = await Promise.all(
        installVerbs.map(async ({ group, resource, namespaced }): Promise<CheckItem> => {
          const review = await env.cluster().postJson<{ status?: { allowed?: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { verb: 'create', group, resource, ...(namespaced ? { namespace: env.weftNamespace } : {}) } },
          });
          const allowed = review.status?.allowed === true;
          const name = `create ${resource}${group ? `.${group}` : ''}${namespaced ? ` in ${env.weftNamespace}` : ''}`;
          return { description: name, status: status(allowed), ...(allowed ? {} : { hint: `kubectl auth can-i create ${resource}${group ? `.${group}` : ''}${namespaced ? ` -n ${env.weftNamespace}` : ''}` }) };
        }),
      );
      return { status: items.every((i) => i.status === 'ok') ? 'ok' : 'failed', items };
    },
  },
  {
    id: 'node-kernel-features',
    category: `kernel of this machine (Linux ${release()})`,
    description: "the kernel can run Weft's capture (the agent's own probe)",
    hint: "fix the first failing line; run 'weft check --pre' as root on a node of the cluster (the probe loads BPF programs)",
    run: async (env): Promise<CheckOutcome> => {
      const results = await runProbe(env);
      const items = results.map((r): CheckItem => ({
        description: r.description,
        status: status(r.ok),
        ...(r.hint ? { hint: r.hint } : {}),
        ...(r.detail ? { detail: r.detail } : {}),
      }));
      const missing = items.filter((i) => i.status !== 'ok').length;
      return { status: missing === 0 ? 'ok' : 'failed', detail: missing === 0 ? `${items.length} prerequisites` : `${missing} of ${items.length} prerequisites missing`, items };
    },
  },
];
