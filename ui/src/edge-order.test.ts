import type { GraphEdge } from '@weft/api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultEdgeSort, edgeComparator } from './edge-order.js';

function edge(id: string, figures: Partial<GraphEdge>): GraphEdge {
  return {
    id,
    source: `${id}/s`,
    target: `${id}/t`,
    protocol: 'http',
    requestsPerSecond: 1,
    successRate: 1,
    latency: { p50: 1, p95: 2, p99: 3 },
    bytesPerSecond: 0,
    connectionsPerSecond: 0,
    mtls: true,
    health: 'healthy',
    ...figures,
  };
}

const edges = [
  edge('a', { health: 'healthy', requestsPerSecond: 5, latency: { p50: 1, p95: 2, p99: 30 } }),
  edge('b', { health: 'failing', requestsPerSecond: 1, successRate: 0.5 }),
  edge('c', { health: 'idle', requestsPerSecond: 0, successRate: null, latency: null }),
  edge('d', { health: 'degraded', requestsPerSecond: 9, successRate: 0.97, latency: { p50: 1, p95: 2, p99: 10 } }),
];

const order = (sorted: GraphEdge[]): string[] => sorted.map((e) => e.id);

describe('edgeComparator', () => {
  it('puts the worst first by default', () => {
    assert.equal(defaultEdgeSort.key, 'health');
    assert.deepEqual(order([...edges].sort(edgeComparator(defaultEdgeSort))), ['b', 'd', 'a', 'c']);
  });

  it('sorts numbers both ways, missing figures last either way', () => {
    assert.deepEqual(order([...edges].sort(edgeComparator({ key: 'p99', direction: 'descending' }))), ['a', 'd', 'b', 'c']);
    assert.deepEqual(order([...edges].sort(edgeComparator({ key: 'p99', direction: 'ascending' }))), ['b', 'd', 'a', 'c']);
    assert.deepEqual(order([...edges].sort(edgeComparator({ key: 'success', direction: 'ascending' }))), ['b', 'd', 'a', 'c']);
  });

  it('breaks ties by rate then id, so rows do not shuffle between updates', () => {
    const tied = [edge('z', {}), edge('y', { requestsPerSecond: 3 }), edge('x', {})];
    assert.deepEqual(order(tied.sort(edgeComparator({ key: 'mtls', direction: 'ascending' }))), ['y', 'x', 'z']);
  });

  it('sorts names', () => {
    assert.deepEqual(order([...edges].sort(edgeComparator({ key: 'source', direction: 'descending' }))), ['d', 'c', 'b', 'a']);
  });
});
