import type { EdgeElement, GraphElements, NamespaceElement, NodeElement } from './graph-elements.js';

/**
 * What changes between what the map shows and a new graph. Applying it touches only those
 * elements, so a live update of 2,000 edges where a few hundred changed restyles a few
 * hundred, and nothing is rebuilt.
 */
export interface GraphDiff {
  /** In removal order: edges first, then nodes, then the namespaces left empty. */
  removed: string[];
  added: { namespaces: NamespaceElement[]; nodes: NodeElement[]; edges: EdgeElement[] };
  /** Elements whose data changed (label, health…); same id, same endpoints. */
  changed: { nodes: NodeElement[]; edges: EdgeElement[] };
}

export function diffGraph(current: GraphElements, next: GraphElements): GraphDiff {
  const diff: GraphDiff = { removed: [], added: { namespaces: [], nodes: [], edges: [] }, changed: { nodes: [], edges: [] } };
  for (const [id, edge] of current.edges) {
    const after = next.edges.get(id);
    // Same id with other endpoints cannot happen with contract ids, but if it did the
    // edge must be recreated: cytoscape does not move an edge's ends by data().
    if (!after || after.source !== edge.source || after.target !== edge.target) diff.removed.push(id);
  }
  for (const [id, node] of current.nodes) {
    const after = next.nodes.get(id);
    if (!after || after.namespace !== node.namespace) diff.removed.push(id);
  }
  for (const id of current.namespaces.keys()) if (!next.namespaces.has(id)) diff.removed.push(id);
  const removed = new Set(diff.removed);

  for (const [id, namespace] of next.namespaces) if (!current.namespaces.has(id)) diff.added.namespaces.push(namespace);
  for (const [id, node] of next.nodes) {
    const before = current.nodes.get(id);
    if (!before || removed.has(id)) diff.added.nodes.push(node);
    else if (!sameData(before, node)) diff.changed.nodes.push(node);
  }
  for (const [id, edge] of next.edges) {
    const before = current.edges.get(id);
    // An edge whose endpoint is recreated goes with it (cytoscape removes connected edges).
    if (!before || removed.has(id) || removed.has(edge.source) || removed.has(edge.target)) diff.added.edges.push(edge);
    else if (!sameData(before, edge)) diff.changed.edges.push(edge);
  }
  return diff;
}

export function isEmptyDiff(diff: GraphDiff): boolean {
  const { added, changed } = diff;
  return diff.removed.length + added.namespaces.length + added.nodes.length + added.edges.length + changed.nodes.length + changed.edges.length === 0;
}

// Element data are flat records of strings, numbers and booleans.
function sameData<T extends object>(a: T, b: T): boolean {
  for (const key of Object.keys(a) as (keyof T)[]) if (a[key] !== b[key]) return false;
  return true;
}
