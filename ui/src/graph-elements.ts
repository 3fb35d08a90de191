import type { GraphEdge, GraphNode, Health, TrafficGraph } from '@weft/api';
import { formatByteRate, formatLatency, formatPercent, formatRate } from './format.js';

/**
 * What the map draws, derived from a TrafficGraph: plain data per element, so an update can
 * be compared with what is on screen and only the difference applied (see graph-diff.ts).
 * Ids are the contract's own (`<ns>/<name>`, `<source>-><target>`); a namespace's frame is
 * `ns:<namespace>`, which cannot collide with a workload id (those hold a slash).
 */

export interface NamespaceElement {
  id: string;
  label: string;
}

export interface NodeElement {
  id: string;
  namespace: string;
  label: string;
  kind: GraphNode['kind'];
  health: Health;
}

export interface EdgeElement {
  id: string;
  source: string;
  target: string;
  label: string;
  health: Health;
  mtls: boolean;
  /** Line width in px: one step per decade of the request (or byte) rate, so it rarely changes. */
  width: number;
}

export interface GraphElements {
  namespaces: Map<string, NamespaceElement>;
  nodes: Map<string, NodeElement>;
  edges: Map<string, EdgeElement>;
}

export function namespaceElementId(namespace: string): string {
  return `ns:${namespace}`;
}

export function emptyElements(): GraphElements {
  return { namespaces: new Map(), nodes: new Map(), edges: new Map() };
}

/** `previous`: what is shown now, so an edge's width does not flicker at a step (see edgeWidth). */
export function graphElements(graph: TrafficGraph, previous?: GraphElements): GraphElements {
  const elements = emptyElements();
  for (const node of graph.nodes) {
    const frame = namespaceElementId(node.namespace);
    if (!elements.namespaces.has(frame)) elements.namespaces.set(frame, { id: frame, label: node.namespace });
    elements.nodes.set(node.id, {
      id: node.id,
      namespace: node.namespace,
      label: node.name,
      kind: node.kind,
      health: node.health,
    });
  }
  for (const edge of graph.edges) {
    // An edge to a node the graph does not hold would make cytoscape throw; the contract
    // says it cannot happen, so it is dropped rather than allowed to break the whole map.
    if (!elements.nodes.has(edge.source) || !elements.nodes.has(edge.target)) continue;
    elements.edges.set(edge.id, {
      id: edge.id,
      source: edge.source,
      target: edge.target,
      label: edgeLabel(edge),
      health: edge.health,
      mtls: edge.mtls,
      width: edgeWidth(edge, previous?.edges.get(edge.id)?.width),
    });
  }
  return elements;
}

/** "12.3 req/s · 99.5% · p99 42 ms 🔒"; TCP edges show bytes and connections instead. */
export function edgeLabel(edge: GraphEdge): string {
  const lock = edge.mtls ? ' 🔒' : '';
  if (edge.protocol === 'tcp') {
    return `TCP ${formatByteRate(edge.bytesPerSecond)} · ${formatRate(edge.connectionsPerSecond, 'conn/s')}${lock}`;
  }
  return `${formatRate(edge.requestsPerSecond)} · ${formatPercent(edge.successRate)} · p99 ${formatLatency(edge.latency?.p99 ?? null)}${lock}`;
}

const widthSteps = 3;
// How far (in decades, ~40 % of the rate) a rate may stray past its step before the width changes.
const widthHysteresis = 0.15;

/**
 * 1.5 px plus one per decade of rate, up to 4.5 px. A rate hovering at a step keeps the
 * width it has: each width change restyles the edge, and a wobbling rate would otherwise
 * restyle a hundred edges per update for nothing anyone can see.
 */
function edgeWidth(edge: GraphEdge, previous: number | undefined): number {
  const rate = edge.protocol === 'tcp' ? edge.bytesPerSecond / 10_000 : edge.requestsPerSecond;
  const level = Math.log10(1 + Math.max(0, rate));
  if (previous !== undefined) {
    const step = previous - 1.5;
    const top = step >= widthSteps ? Infinity : step + 1 + widthHysteresis;
    if (level >= step - widthHysteresis && level < top) return previous;
  }
  return 1.5 + Math.min(widthSteps, Math.floor(level));
}
