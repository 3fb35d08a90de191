import type { StatsGrouping, StatsRow } from '@weft/api';
import { exitCodes, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { fetchStats, namespaceOf, parseWindow, windowFlag } from '../control-api.js';
import { millis, percent, rate, renderData, renderTable } from '../output.js';

/** kubectl's names and short names of what `stat` groups by. */
const groupings = new Map<string, StatsGrouping>([
  ...['deploy', 'deployment', 'deployments', 'workload', 'workloads'].map((w) => [w, 'workload'] as const),
  ...['po', 'pod', 'pods'].map((w) => [w, 'pod'] as const),
  ...['ns', 'namespace', 'namespaces'].map((w) => [w, 'namespace'] as const),
]);

export function statRows(rows: StatsRow[], by: StatsGrouping): string[][] {
  return rows.map((r) => [
    ...(by === 'namespace' ? [] : [r.namespace]),
    r.name,
    percent(r.successRate),
    rate(r.requestsPerSecond),
    millis(r.latency?.p50),
    millis(r.latency?.p95),
    millis(r.latency?.p99),
    percent(r.mtlsShare),
    r.identities.join(',') || '-',
  ]);
}

export const statHeaders = (by: StatsGrouping): string[] => [...(by === 'namespace' ? [] : ['NAMESPACE']), by === 'workload' ? 'WORKLOAD' : by.toUpperCase(), 'SUCCESS', 'RPS', 'P50', 'P95', 'P99', 'MTLS', 'IDENTITY'];

export const statCommand: Command = {
  name: 'stat',
  summary: 'golden metrics (success rate, requests/s, latency, mTLS) of workloads, pods or namespaces',
  usage: 'weft stat (deploy|pod|ns) [NAME] [flags]',
  description: [
    'Shows the golden metrics of what receives traffic in the mesh, over a window: the share of',
    'requests that did not fail (5xx, gRPC errors), requests per second, latency p50/p95/p99, the',
    'share that came over mTLS, and the SPIFFE identities that served it. Figures come from the',
    "agents' telemetry, kept 15 minutes by the control plane (no Prometheus needed).",
    'deploy groups pods by what owns them (Deployments, StatefulSets, DaemonSets, else the pod).',
  ].join('\n'),
  examples: ['weft stat deploy -n demo', 'weft stat pod -n demo --window 300', 'weft stat ns -A', 'weft stat deploy frontend -n demo -o json'],
  flags: { window: windowFlag },
  positionals: { min: 1, max: 2 },
  run: async (context) => {
    const [kind = '', name] = context.args;
    const by = groupings.get(kind);
    if (!by) throw new UsageError(`cannot stat '${kind}': use deploy, pod or ns`, 'stat');
    const windowSeconds = parseWindow(context.flags.window, 'stat');
    const namespace = by === 'namespace' ? (name ?? (context.allNamespaces ? undefined : context.namespace)) : namespaceOf(context);
    const table = await fetchStats(context, { by, windowSeconds, namespace, name: by === 'namespace' ? undefined : name });
    if (context.output !== 'table') {
      context.stdout(renderData(table, context.output));
    } else if (table.rows.length === 0) {
      context.stderr(`No traffic ${namespace ? `in namespace ${namespace} ` : ''}in the last ${windowSeconds} s${name ? ` to ${name}` : ''}. Is the namespace enrolled? (weft enroll ns NAME)\n`);
    } else {
      context.stdout(renderTable(statHeaders(by), statRows(table.rows, by)));
    }
    return exitCodes.ok;
  },
};
