// The UI bench's mesh: 500 workloads and 2,000 edges across 20 namespaces, as the control
// plane would serve them (the contract's TrafficGraph), from a seeded generator so every
// run draws the same map. `nextGraph` is a live update: many edges' rates and health move.
import { healthOf, type GraphEdge, type GraphNode, type TrafficGraph, type WorkloadDetail } from '@weft/api';

export interface SyntheticMeshOptions {
  workloads: number;
  edges: number;
  namespaces: number;
  seed: number;
}

/** mulberry32: small, fast, and the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticMesh(options: SyntheticMeshOptions): TrafficGraph {
  const random = seededRandom(options.seed);
  const namespaces = Array.from({ length: options.namespaces }, (_, i) => `team-${String(i).padStart(2, '0')}`);
  const nodes: GraphNode[] = Array.from({ length: options.workloads }, (_, i) => {
    const namespace = namespaces[i % namespaces.length] ?? 'default';
    const name = `service-${String(Math.floor(i / namespaces.length)).padStart(3, '0')}`;
    return { id: `${namespace}/${name}`, namespace, name, kind: 'workload', identities: [`spiffe://cluster.local/ns/${namespace}/sa/${name}`], health: 'idle' };
  });
  const edges = new Map<string, GraphEdge>();
  while (edges.size < options.edges) {
    const source = pick(nodes, random);
    // Most traffic stays in its namespace, as it does in real meshes.
    const sameNamespace = nodes.filter((node) => node.namespace === source.namespace);
    const target = random() < 0.7 ? pick(sameNamespace, random) : pick(nodes, random);
    if (target.id === source.id) continue;
    const id = `${source.id}->${target.id}`;
    if (!edges.has(id)) edges.set(id, figures({ id, source: source.id, target: target.id }, random));
  }
  const graph: TrafficGraph = { at: Date.now(), windowSeconds: 60, namespaces, nodes, edges: [...edges.values()] };
  return withNodeHealth(graph);
}

/**
 * The next live update. Every edge's rate and latency drift by up to ±`drift` (its label
 * changes, its colour does not), and a `share` of the edges get new figures altogether
 * (new success rate: about half of those change colour).
 */
export function nextGraph(graph: TrafficGraph, options: { drift: number; share: number }, random: () => number): TrafficGraph {
  const edges = graph.edges.map((edge) => (random() < options.share ? figures(edge, random) : drifted(edge, options.drift, random)));
  return withNodeHealth({ ...graph, at: graph.at + 2000, edges });
}

function drifted(edge: GraphEdge, drift: number, random: () => number): GraphEdge {
  const factor = (): number => 1 + drift * (2 * random() - 1);
  const latency = edge.latency && { p50: edge.latency.p50 * factor(), p95: edge.latency.p95 * factor(), p99: edge.latency.p99 * factor() };
  return {
    ...edge,
    requestsPerSecond: Math.round(edge.requestsPerSecond * factor() * 100) / 100,
    latency,
    bytesPerSecond: Math.round(edge.bytesPerSecond * factor()),
  };
}

/** A workload page's answer: its inbound series over the window and its edges. */
export function syntheticDetail(graph: TrafficGraph, id: string): WorkloadDetail | undefined {
  const workload = graph.nodes.find((node) => node.id === id);
  if (!workload) return undefined;
  const inbound = graph.edges.filter((edge) => edge.target === id);
  const rate = inbound.reduce((sum, edge) => sum + edge.requestsPerSecond, 0);
  const random = seededRandom(rate * 1000);
  const series = Array.from({ length: 60 }, (_, i) => ({
    at: graph.at - (59 - i) * 1000,
    requestsPerSecond: rate * (0.8 + 0.4 * random()),
    successRate: rate === 0 ? null : 0.97 + 0.03 * random(),
    latency: rate === 0 ? null : { p50: 4 + random() * 2, p95: 12 + random() * 6, p99: 30 + random() * 20 },
  }));
  return { workload, stepSeconds: 1, series, inbound, outbound: graph.edges.filter((edge) => edge.source === id) };
}

/** The graph a namespace filter asks for: that namespace's edges and both ends of each. */
export function scoped(graph: TrafficGraph, namespace: string | null): TrafficGraph {
  if (namespace === null) return graph;
  const edges = graph.edges.filter((edge) => edge.source.startsWith(`${namespace}/`) || edge.target.startsWith(`${namespace}/`));
  const ids = new Set(edges.flatMap((edge) => [edge.source, edge.target]));
  return { ...graph, nodes: graph.nodes.filter((node) => node.namespace === namespace || ids.has(node.id)), edges };
}

function figures(edge: Pick<GraphEdge, 'id' | 'source' | 'target'>, random: () => number): GraphEdge {
  const tcp = random() < 0.1;
  const requestsPerSecond = tcp ? 0 : Math.round(10 ** (random() * 3 - 0.5) * 100) / 100;
  const roll = random();
  // Mostly healthy; some degraded, a few failing, so every colour is on the map.
  const successRate = tcp ? null : roll < 0.8 ? 1 - random() * 0.005 : roll < 0.93 ? 0.95 + random() * 0.04 : 0.5 + random() * 0.4;
  const p50 = 1 + random() * 30;
  return {
    id: edge.id,
    source: edge.source,
    target: edge.target,
    protocol: tcp ? 'tcp' : 'http',
    requestsPerSecond,
    successRate,
    latency: tcp ? null : { p50, p95: p50 * (2 + random()), p99: p50 * (4 + 2 * random()) },
    bytesPerSecond: Math.round((tcp ? 50_000 : requestsPerSecond * 1500) * (0.5 + random())),
    connectionsPerSecond: Math.round(random() * 50) / 10,
    mtls: random() < 0.9,
    health: healthOf(successRate, tcp ? 0 : requestsPerSecond),
  };
}

/** A node's health is that of its inbound traffic (requests weighted). */
function withNodeHealth(graph: TrafficGraph): TrafficGraph {
  const inbound = new Map<string, { requests: number; ok: number }>();
  for (const edge of graph.edges) {
    if (edge.successRate === null) continue;
    const sum = inbound.get(edge.target) ?? { requests: 0, ok: 0 };
    sum.requests += edge.requestsPerSecond;
    sum.ok += edge.requestsPerSecond * edge.successRate;
    inbound.set(edge.target, sum);
  }
  const nodes = graph.nodes.map((node) => {
    const sum = inbound.get(node.id);
    const health = sum ? healthOf(sum.requests > 0 ? sum.ok / sum.requests : null, sum.requests) : 'idle';
    return health === node.health ? node : { ...node, health };
  });
  return { ...graph, nodes };
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
