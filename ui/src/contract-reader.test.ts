import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readLiveMessage, readTrafficGraph, readWorkloadDetail } from './contract-reader.js';
import { UiError } from './ui-error.js';

const node = { id: 'shop/server', namespace: 'shop', name: 'server', kind: 'workload', identities: ['spiffe://td/ns/shop/sa/server'], health: 'healthy' };
const edge = {
  id: 'shop/client->shop/server',
  source: 'shop/client',
  target: 'shop/server',
  protocol: 'http',
  requestsPerSecond: 10,
  successRate: 1,
  latency: { p50: 1, p95: 2, p99: 3 },
  bytesPerSecond: 100,
  connectionsPerSecond: 1,
  mtls: true,
  health: 'healthy',
};
const graph = { at: 1, windowSeconds: 60, namespaces: ['shop'], nodes: [node, { ...node, id: 'shop/client', name: 'client' }], edges: [edge] };

describe('contract reader', () => {
  it('reads a graph message', () => {
    const message = readLiveMessage(JSON.stringify({ type: 'graph', graph, intervalSeconds: 2 }));
    if (message.type !== 'graph') assert.fail(`read as ${message.type}`);
    assert.deepEqual(message.graph, graph);
  });

  it('reads an error message', () => {
    assert.deepEqual(readLiveMessage('{"type":"error","message":"bad window"}'), { type: 'error', message: 'bad window' });
  });

  it('accepts missing figures as null', () => {
    const read = readTrafficGraph({ ...graph, edges: [{ ...edge, successRate: null, latency: null }] });
    const [first] = read.edges;
    assert.ok(first);
    assert.equal(first.successRate, null);
    assert.equal(first.latency, null);
  });

  it('names the field that breaks the contract', () => {
    const broken = { ...graph, edges: [{ ...edge, requestsPerSecond: '10' }] };
    assert.throws(
      () => readTrafficGraph(broken),
      (error: unknown) => error instanceof UiError && error.code === 'WEFT_UI_BAD_PAYLOAD' && error.message.includes('graph.edges[0].requestsPerSecond'),
    );
    assert.throws(() => readTrafficGraph({ ...graph, nodes: [{ ...node, health: 'great' }] }), /graph\.nodes\[0\]\.health/);
    assert.throws(() => readLiveMessage('{"type":"hello"}'), /message\.type/);
    assert.throws(() => readLiveMessage('not json'), /not JSON/);
  });

  it('reads a workload detail', () => {
    const detail = readWorkloadDetail({
      workload: node,
      stepSeconds: 10,
      series: [{ at: 1, requestsPerSecond: 2, successRate: null, latency: null }],
      inbound: [edge],
      outbound: [],
    });
    assert.equal(detail.series.length, 1);
    assert.equal(detail.inbound[0]?.id, edge.id);
  });
});
