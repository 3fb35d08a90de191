import { healthOf, windowLimits, type EdgeReport, type GraphEdge, type GraphNode, type Health, type StatsTable, type TelemetryPeer, type TrafficGraph, type WorkloadDetail, type WorkloadSample } from '@weft/api';
import { addTotals, EdgeWindow, emptyTotals, latencyOf, slotMs, windowSlots, type EdgeTotals } from './edge-window.js';
import { PodInbound, type StatsQuery } from './pod-inbound.js';

/** Which workload (Deployment…, else the pod) a pod belongs to — by uid, else by namespace and name; the model answers for running pods. */
export interface WorkloadResolver {
  workloadOf(pod: { uid: string; namespace: string; name: string }): { namespace: string; name: string } | undefined;
}

interface NodeInfo {
  id: string;
  namespace: string;
  name: string;
  kind: GraphNode['kind'];
  identities: Set<string>;
}

interface EdgeEntry {
  source: NodeInfo;
  target: NodeInfo;
  /** Both ends may report an edge; the destination's account is taken when it has one. */
  reported: { source?: EdgeWindow; destination?: EdgeWindow };
  /** When the first report of it began (ms): a rate is over the time it has been seen. */
  firstMs: number;
}

export interface WindowQuery {
  windowSeconds: number;
  /** Edges touching this namespace; all when unset. */
  namespace?: string;
}

/**
 * The last 15 minutes of the mesh's traffic, in memory, from the agents' telemetry: per
 * edge between two workloads, 5 s slots of counts and latency buckets, and per destination
 * pod its inbound traffic (PodInbound, for `weft stat`). One writer (the telemetry
 * service's ingest); the UI server reads graphs, workload pages and stats tables from it.
 */
export class TelemetryStore {
  readonly #resolver: WorkloadResolver;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #edges = new Map<string, EdgeEntry>();
  readonly #pods = new PodInbound();
  /** The newest interval end any agent reported: every window ends here. */
  #latestMs = 0;
  #ingested = 0;

  constructor(options: { resolver: WorkloadResolver }) {
    this.#resolver = options.resolver;
  }

  get edgeCount(): number {
    return this.#edges.size;
  }

  /** Destination pods whose inbound traffic is kept (for `stats`). */
  get podCount(): number {
    return this.#pods.size;
  }

  ingest(report: EdgeReport): void {
    const startMs = report.intervalEndMs - report.intervalMs;
    for (const delta of report.edges) {
      const source = this.#node(delta.source);
      const target = this.#node(delta.destination);
      const key = `${source.id}->${target.id}`;
      let edge = this.#edges.get(key);
      if (!edge) {
        edge = { source, target, reported: {}, firstMs: startMs };
        this.#edges.set(key, edge);
      }
      edge.firstMs = Math.min(edge.firstMs, startMs);
      const window = (edge.reported[delta.reporter] ??= new EdgeWindow());
      // The middle of the interval decides its slot: a report straddling two slots counts once.
      const atMs = startMs + report.intervalMs / 2;
      window.add(delta, atMs);
      this.#pods.add(delta, { atMs, startMs, workload: target.name });
    }
    this.#latestMs = Math.max(this.#latestMs, report.intervalEndMs);
    if (++this.#ingested % 256 === 0) this.#prune();
  }

  graph(query: WindowQuery): TrafficGraph {
    const { from, to } = this.#span(query.windowSeconds);
    const edges: GraphEdge[] = [];
    const nodes = new Map<string, NodeInfo>();
    const inbound = new Map<string, EdgeTotals>();
    for (const [id, entry] of this.#edges) {
      if (query.namespace && entry.source.namespace !== query.namespace && entry.target.namespace !== query.namespace) continue;
      const totals = this.#totals(entry, from, to);
      if (totals.requests === 0 && totals.connections === 0 && totals.bytes === 0) continue;
      edges.push(this.#edgeOf(id, entry, totals, from, to));
      nodes.set(entry.source.id, entry.source);
      nodes.set(entry.target.id, entry.target);
      const into = inbound.get(entry.target.id) ?? emptyTotals();
      addTotals(into, totals);
      inbound.set(entry.target.id, into);
    }
    const namespaces = [...new Set([...this.#nodes.values()].map((n) => n.namespace).filter(Boolean))].sort();
    return { at: to, windowSeconds: query.windowSeconds, namespaces, nodes: [...nodes.values()].map((n) => this.#nodeOf(n, inbound.get(n.id))), edges };
  }

  /** Golden metrics of inbound traffic per workload, pod or namespace (`weft stat`). */
  stats(query: StatsQuery & { windowSeconds: number }): StatsTable {
    const { from, to } = this.#span(query.windowSeconds);
    return { at: to, windowSeconds: query.windowSeconds, by: query.by, rows: this.#pods.rows(query, from, to) };
  }

  workload(namespace: string, name: string, windowSeconds: number): WorkloadDetail | undefined {
    const node = this.#nodes.get(`${namespace}/${name}`);
    if (!node) return undefined;
    const { from, to } = this.#span(windowSeconds);
    const stepMs = Math.max(slotMs, Math.ceil((windowSeconds * 1000) / 60 / slotMs) * slotMs);
    const into = [...this.#edges].filter(([, e]) => e.target.id === node.id);
    const out = [...this.#edges].filter(([, e]) => e.source.id === node.id);
    const series: WorkloadSample[] = [];
    for (let start = Math.floor(from / stepMs) * stepMs; start < to; start += stepMs) {
      const step = emptyTotals();
      for (const [, entry] of into) addTotals(step, this.#totals(entry, start, start + stepMs));
      const rps = step.requests / (stepMs / 1000);
      series.push({ at: start + stepMs, requestsPerSecond: rps, successRate: successRateOf(step), latency: latencyOf(step) });
    }
    const edges = (list: [string, EdgeEntry][]): GraphEdge[] =>
      list.flatMap(([id, entry]) => {
        const totals = this.#totals(entry, from, to);
        return totals.requests + totals.connections + totals.bytes === 0 ? [] : [this.#edgeOf(id, entry, totals, from, to)];
      });
    const inboundTotals = emptyTotals();
    for (const [, entry] of into) addTotals(inboundTotals, this.#totals(entry, from, to));
    return { workload: this.#nodeOf(node, inboundTotals), stepSeconds: stepMs / 1000, series, inbound: edges(into), outbound: edges(out) };
  }

  #span(windowSeconds: number): { from: number; to: number } {
    const seconds = Math.min(Math.max(windowSeconds, windowLimits.min), windowLimits.max);
    const to = this.#latestMs;
    return { from: to - seconds * 1000, to };
  }

  #totals(entry: EdgeEntry, from: number, to: number): EdgeTotals {
    const destination = entry.reported.destination?.sum(from, to);
    if (destination && destination.requests + destination.connections + destination.bytes > 0) return destination;
    return entry.reported.source?.sum(from, to) ?? emptyTotals();
  }

  /** Rates are over the window, or over the time since the edge first appeared when that is shorter; quiet stretches count as zero. */
  #edgeOf(id: string, entry: EdgeEntry, totals: EdgeTotals, from: number, to: number): GraphEdge {
    const seconds = Math.max((to - Math.max(entry.firstMs, from)) / 1000, 1);
    const requestsPerSecond = totals.requests / seconds;
    const successRate = successRateOf(totals);
    const mtls = entry.reported.destination?.mtls ?? entry.reported.source?.mtls ?? false;
    return {
      id,
      source: entry.source.id,
      target: entry.target.id,
      protocol: totals.requests > 0 ? 'http' : 'tcp',
      requestsPerSecond,
      successRate,
      latency: latencyOf(totals),
      bytesPerSecond: totals.bytes / seconds,
      connectionsPerSecond: totals.connections / seconds,
      mtls,
      health: healthOf(successRate, requestsPerSecond),
    };
  }

  #nodeOf(node: NodeInfo, inbound: EdgeTotals | undefined): GraphNode {
    const health: Health = inbound ? healthOf(successRateOf(inbound), inbound.requests) : 'idle';
    return { id: node.id, namespace: node.namespace, name: node.name, kind: node.kind, identities: [...node.identities].sort(), health };
  }

  #node(peer: TelemetryPeer): NodeInfo {
    const outside = peer.namespace === '';
    const owner = outside ? undefined : this.#resolver.workloadOf(peer);
    const namespace = outside ? '' : (owner?.namespace ?? peer.namespace);
    const name = outside ? peer.name : (owner?.name ?? peer.name);
    const id = outside ? `outside/${name}` : `${namespace}/${name}`;
    let node = this.#nodes.get(id);
    if (!node) {
      node = { id, namespace, name, kind: outside ? 'outside' : 'workload', identities: new Set() };
      this.#nodes.set(id, node);
    }
    if (peer.identity) node.identities.add(peer.identity);
    return node;
  }

  /** Edges with nothing in the retained window are forgotten, and nodes no edge names. */
  #prune(): void {
    const oldest = Math.floor(this.#latestMs / slotMs) - windowSlots;
    for (const [id, entry] of this.#edges) {
      const last = Math.max(entry.reported.destination?.lastSlot ?? -1, entry.reported.source?.lastSlot ?? -1);
      if (last < oldest) this.#edges.delete(id);
    }
    this.#pods.prune(this.#latestMs);
    const named = new Set([...this.#edges.values()].flatMap((e) => [e.source.id, e.target.id]));
    for (const id of this.#nodes.keys()) if (!named.has(id)) this.#nodes.delete(id);
  }
}

/** Responses that were not 5xx, of all responses; null without responses. */
function successRateOf(totals: EdgeTotals): number | null {
  const all = totals.responses.reduce((a, b) => a + b, 0);
  return all === 0 ? null : (all - totals.responses[4]) / all;
}
