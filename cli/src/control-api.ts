import type { StatsGrouping, StatsTable, TrafficGraph } from '@weft/api';
import { ClusterError } from './cli-error.js';
import type { CommandContext } from './command.js';
import { UsageError } from './cli-error.js';
import type { ClusterReply } from './cluster.js';

/** The window flag every traffic command takes. */
export const windowFlag = { type: 'string', value: 'SECONDS', default: '60', help: 'how far back to look, 10 to 900 seconds' } as const;

export function parseWindow(value: string | boolean | undefined, command: string): number {
  const seconds = Number(value ?? '60');
  if (typeof value !== 'string' || !/^\d+$/.test(value) || seconds < 10 || seconds > 900) throw new UsageError(`--window must be a whole number of seconds from 10 to 900, not '${String(value)}'`, command);
  return seconds;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON's type, as with Response.json()
function parse<T>(what: string, reply: ClusterReply): T {
  if (reply.status === 503 || reply.status === 502) {
    throw new ClusterError(`the control plane is not reachable (${reply.status})`, { status: reply.status, hint: "run 'weft check' to see why" });
  }
  if (reply.status !== 200) throw new ClusterError(`${what}: the control plane answered ${reply.status}: ${reply.body.trim().slice(0, 300)}`, { status: reply.status });
  try {
    return JSON.parse(reply.body) as T;
  } catch (error) {
    throw new ClusterError(`${what}: the control plane's answer is not JSON`, { cause: error });
  }
}

const target = (context: CommandContext) => ({ kind: 'services', namespace: context.weftNamespace, name: 'weft-control', port: 'http' }) as const;

/** The traffic map (api/src/ui/traffic-graph.ts) through the API server's service proxy. */
export async function fetchGraph(context: CommandContext, query: { windowSeconds: number; namespace?: string | undefined }): Promise<TrafficGraph> {
  const params = new URLSearchParams({ window: String(query.windowSeconds), ...(query.namespace ? { namespace: query.namespace } : {}) });
  return parse<TrafficGraph>('the traffic graph', await context.cluster().proxyGet(target(context), `/api/v1/graph?${params.toString()}`));
}

export async function fetchStats(context: CommandContext, query: { by: StatsGrouping; windowSeconds: number; namespace?: string | undefined; name?: string | undefined }): Promise<StatsTable> {
  const params = new URLSearchParams({ by: query.by, window: String(query.windowSeconds), ...(query.namespace ? { namespace: query.namespace } : {}), ...(query.name ? { name: query.name } : {}) });
  return parse<StatsTable>('the stats', await context.cluster().proxyGet(target(context), `/api/v1/stats?${params.toString()}`));
}

/** -n, else "default" (kubectl's rule); -A: every namespace. */
export const namespaceOf = (context: CommandContext): string | undefined => (context.allNamespaces ? undefined : (context.namespace ?? 'default'));
