import type { GraphEdge } from '@weft/api';
import { healthOrder } from './health-palette.js';

/** The table's sortable columns. */
export type EdgeSortKey = 'source' | 'target' | 'rps' | 'success' | 'p50' | 'p95' | 'p99' | 'mtls' | 'health';

export interface EdgeSort {
  key: EdgeSortKey;
  direction: 'ascending' | 'descending';
}

/** Worst first: what an operator opens the table for. */
export const defaultEdgeSort: EdgeSort = { key: 'health', direction: 'ascending' };

/**
 * A comparator for `sort`. Missing figures (no requests, no responses) go last in either
 * direction, and ties are broken by request rate, then id, so the order is stable from
 * one update to the next and rows do not shuffle while a person reads them.
 */
export function edgeComparator(sort: EdgeSort): (a: GraphEdge, b: GraphEdge) => number {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  const value = sortValue[sort.key];
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) {
      if (va === null) return 1;
      if (vb === null) return -1;
      return sign * (va < vb ? -1 : 1);
    }
    if (a.requestsPerSecond !== b.requestsPerSecond) return b.requestsPerSecond - a.requestsPerSecond;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

const sortValue: Record<EdgeSortKey, (edge: GraphEdge) => string | number | null> = {
  source: (edge) => edge.source,
  target: (edge) => edge.target,
  rps: (edge) => edge.requestsPerSecond,
  success: (edge) => edge.successRate,
  p50: (edge) => edge.latency?.p50 ?? null,
  p95: (edge) => edge.latency?.p95 ?? null,
  p99: (edge) => edge.latency?.p99 ?? null,
  mtls: (edge) => (edge.mtls ? 1 : 0),
  health: (edge) => healthOrder.indexOf(edge.health),
};
