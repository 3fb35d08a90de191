import type { GraphEdge, GraphNode, TrafficGraph } from '@weft/api';
import { exitCodes } from '../cli-error.js';
import type { Command } from '../command.js';
import { fetchGraph, namespaceOf, parseWindow, windowFlag } from '../control-api.js';
import { millis, percent, rate, renderData, renderTable } from '../output.js';

/** One edge with both ends' identities, as `weft edges -o json` prints it. */
export interface EdgeView {
  source: string;
  destination: string;
  sourceIdentities: string[];
  destinationIdentities: string[];
  protocol: GraphEdge['protocol'];
  mtls: boolean;
  requestsPerSecond: number;
  successRate: number | null;
  latencyP99Ms: number | null;
}

export function edgeViews(graph: TrafficGraph): EdgeView[] {
  const nodes = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  return graph.edges
    .map((e) => ({
      source: e.source,
      destination: e.target,
      sourceIdentities: nodes.get(e.source)?.identities ?? [],
      destinationIdentities: nodes.get(e.target)?.identities ?? [],
      protocol: e.protocol,
      mtls: e.mtls,
      requestsPerSecond: e.requestsPerSecond,
      successRate: e.successRate,
      latencyP99Ms: e.latency?.p99 ?? null,
    }))
    .sort((a, b) => a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination));
}

export function edgeRows(views: EdgeView[]): string[][] {
  return views.map((v) => [
    v.source,
    v.destination,
    v.sourceIdentities.join(',') || '-',
    v.destinationIdentities.join(',') || '-',
    v.mtls ? 'yes' : 'no',
    v.protocol,
    rate(v.requestsPerSecond),
    percent(v.successRate),
    millis(v.latencyP99Ms),
  ]);
}

export const edgeHeaders = ['SOURCE', 'DESTINATION', 'CLIENT IDENTITY', 'SERVER IDENTITY', 'MTLS', 'PROTOCOL', 'RPS', 'SUCCESS', 'P99'];

export const edgesCommand: Command = {
  name: 'edges',
  summary: 'who talks to whom, with each side\'s mTLS identity',
  usage: 'weft edges [flags]',
  description: [
    'Lists the edges of the traffic map: which workload called which over the window, the SPIFFE',
    'identities of both sides, whether it went over mutual TLS, and its rate, success and p99.',
    'Edges touching the namespace are shown (-n, default "default"; -A for all).',
  ].join('\n'),
  examples: ['weft edges -n demo', 'weft edges -A --window 300', 'weft edges -n demo -o yaml'],
  flags: { window: windowFlag },
  positionals: { min: 0, max: 0 },
  run: async (context) => {
    const windowSeconds = parseWindow(context.flags.window, 'edges');
    const namespace = namespaceOf(context);
    const views = edgeViews(await fetchGraph(context, { windowSeconds, namespace }));
    if (context.output !== 'table') context.stdout(renderData(views, context.output));
    else if (views.length === 0) context.stderr(`No traffic ${namespace ? `in namespace ${namespace} ` : ''}in the last ${windowSeconds} s. Is it enrolled? (weft enroll ns NAME)\n`);
    else context.stdout(renderTable(edgeHeaders, edgeRows(views)));
    return exitCodes.ok;
  },
};
