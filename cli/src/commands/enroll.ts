import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterError, exitCodes, UsageError } from '../cli-error.js';
import type { Command, CommandContext } from '../command.js';
import { checkEnvironment } from '../checks/check.js';
import type { PodList } from '../checks/kube-reads.js';
import { agentReports, type AgentReport } from '../checks/weft-reads.js';
import { renderData, renderTable } from '../output.js';

export const meshLabel = 'weft.dev/mesh';

interface PodCapture {
  namespace: string;
  pod: string;
  node: string;
  /** The SPIFFE identity its agent serves it as; undefined while not enrolled. */
  identity: string | undefined;
}

export interface EnrollSummary {
  namespace: string;
  label: string;
  /** enroll: the pods captured; unenroll: the pods still captured. */
  pods: PodCapture[];
  /** Running pods expected (enroll: not opted out, not host-network; unenroll: all). */
  expected: number;
  done: boolean;
  seconds: number;
}

/** The running pods the label applies to: not opted out by their own label, not on the host network. */
async function runningPods(context: CommandContext, namespace: string): Promise<PodList['items']> {
  const pods = await context.cluster().getJson<PodList>(`/api/v1/namespaces/${namespace}/pods`);
  return pods.items.filter((p) => p.status.phase === 'Running' && p.spec.hostNetwork !== true && p.metadata.labels?.[meshLabel] !== 'disabled');
}

/** A fresh read of every agent's state: a new environment, so nothing is remembered from the last look. */
function agentsNow(context: CommandContext): Promise<AgentReport[]> {
  return agentReports(checkEnvironment({ cluster: () => context.cluster(), weftNamespace: context.weftNamespace, env: context.env, options: {} }));
}

function enrollCommand(mode: 'enroll' | 'unenroll'): Command {
  const enrolling = mode === 'enroll';
  return {
    name: mode,
    summary: enrolling ? 'put a namespace in the mesh (its running pods too, without restarts)' : 'take a namespace out of the mesh',
    usage: `weft ${mode} ns NAME [flags]`,
    description: enrolling
      ? [
          `Labels the namespace ${meshLabel}=enabled. The agents capture its running pods in place, without`,
          'restarting them, and give each its SPIFFE identity; the command waits until every running pod is',
          `captured and lists them (pods labelled ${meshLabel}=disabled stay out). Exit code 1 when some pod`,
          'was not captured in time.',
        ].join('\n')
      : [`Removes the ${meshLabel} label from the namespace. Its pods talk directly again (no restarts);`, 'the command waits until no agent holds one of them.'].join('\n'),
    examples: enrolling ? ['weft enroll ns demo', 'weft enroll ns demo --timeout 60 -o json'] : ['weft unenroll ns demo'],
    flags: {
      timeout: { type: 'string', value: 'SECONDS', default: '30', help: 'how long to wait for the agents' },
      'no-wait': { type: 'boolean', help: 'only set the label' },
    },
    positionals: { min: 2, max: 2 },
    run: async (context) => {
      const [kind = '', namespace = ''] = context.args;
      if (!['ns', 'namespace'].includes(kind)) throw new UsageError(`can only ${mode} namespaces: weft ${mode} ns NAME`, mode);
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new UsageError(`'${namespace}' is not a namespace name`, mode);
      const timeoutText = String(context.flags.timeout ?? '30');
      if (!/^\d+$/.test(timeoutText) || Number(timeoutText) < 1) throw new UsageError(`--timeout must be a whole number of seconds, not '${timeoutText}'`, mode);
      const cluster = context.cluster();
      try {
        await cluster.getJson(`/api/v1/namespaces/${namespace}`);
      } catch (error) {
        if (error instanceof ClusterError && error.status === 404) throw new ClusterError(`namespace ${namespace} does not exist`, { hint: 'kubectl get namespaces' });
        throw error;
      }
      await cluster.patchJson(`/api/v1/namespaces/${namespace}`, { metadata: { labels: { [meshLabel]: enrolling ? 'enabled' : null } } });
      const label = enrolling ? `${meshLabel}=enabled` : `${meshLabel}-`;
      if (context.flags['no-wait'] === true) {
        context.stdout(`namespace/${namespace} labelled ${label}\n`);
        return exitCodes.ok;
      }
      const started = Date.now();
      const deadline = started + Number(timeoutText) * 1000;
      let summary: EnrollSummary;
      for (;;) {
        const [pods, agents] = await Promise.all([runningPods(context, namespace), agentsNow(context)]);
        const held = new Map(agents.flatMap((a) => (a.state?.enrolled ?? []).map((w) => [w.uid, w.identity] as const)));
        const captures = pods.map((p): PodCapture => ({ namespace, pod: p.metadata.name, node: p.spec.nodeName ?? '', identity: held.get(p.metadata.uid) }));
        const relevant = enrolling ? captures : captures.filter((c) => c.identity !== undefined);
        const done = enrolling ? captures.every((c) => c.identity !== undefined) : relevant.length === 0;
        summary = { namespace, label, pods: relevant, expected: captures.length, done, seconds: (Date.now() - started) / 1000 };
        if (done || Date.now() > deadline) break;
        await sleep(200);
      }
      if (context.output !== 'table') {
        context.stdout(renderData(summary, context.output));
      } else {
        context.stdout(`namespace/${namespace} labelled ${label}\n`);
        const count = enrolling ? summary.pods.filter((p) => p.identity !== undefined).length : summary.expected - summary.pods.length;
        context.stdout(`${enrolling ? 'captured' : 'released'} ${count} of ${summary.expected} running pod(s) in ${summary.seconds.toFixed(1)} s${summary.done ? '' : ' (timed out)'}\n`);
        if (summary.pods.length > 0) {
          context.stdout(renderTable(['NODE', 'POD', 'IDENTITY'], summary.pods.map((p) => [p.node, p.pod, p.identity ?? (enrolling ? 'not captured yet' : '-')])));
        }
        if (!summary.done) context.stderr(`hint: the agent's log on that node says why: kubectl -n ${context.weftNamespace} logs ds/weft-agent; 'weft check' shows whether every agent is connected\n`);
      }
      return summary.done ? exitCodes.ok : exitCodes.failed;
    },
  };
}

export const enrollNamespaceCommand = enrollCommand('enroll');
export const unenrollNamespaceCommand = enrollCommand('unenroll');
