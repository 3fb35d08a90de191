import type { GraphEdge, GraphNode, TrafficGraph } from '@weft/api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffGraph, isEmptyDiff } from './graph-diff.js';
import { edgeLabel, emptyElements, graphElements } from './graph-elements.js';

function node(id: string, health: GraphNode['health'] = 'healthy'): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, namespace, name, kind: 'workload', identities: [], health };
}

function edge(source: string, target: string, figures: Partial<GraphEdge> = {}): GraphEdge {
  return {
    id: `${source}->${target}`,
    source,
    target,
    protocol: 'http',
    requestsPerSecond: 10,
    successRate: 1,
    latency: { p50: 2, p95: 5, p99: 9 },
    bytesPerSecond: 10_000,
    connectionsPerSecond: 0.1,
    mtls: true,
    health: 'healthy',
    ...figures,
  };
}

function graph(nodes: GraphNode[], edges: GraphEdge[]): TrafficGraph {
  return { at: 1, windowSeconds: 60, namespaces: [...new Set(nodes.map((n) => n.namespace))].sort(), nodes, edges };
}

const shop = graph([node('shop/client'), node('shop/server')], [edge('shop/client', 'shop/server')]);

describe('graphElements', () => {
  it('keeps the contract ids and groups workloads by namespace', () => {
    const elements = graphElements(shop);
    assert.deepEqual([...elements.nodes.keys()], ['shop/client', 'shop/server']);
    assert.deepEqual([...elements.edges.keys()], ['shop/client->shop/server']);
    assert.deepEqual([...elements.namespaces.keys()], ['ns:shop']);
    assert.equal(elements.nodes.get('shop/server')?.namespace, 'shop');
    assert.equal(elements.nodes.get('shop/server')?.label, 'server');
  });

  it('widens edges one step per decade of rate, so a drifting rate rarely restyles them', () => {
    const width = (requestsPerSecond: number): number | undefined =>
      graphElements(graph([node('a/x'), node('a/y')], [edge('a/x', 'a/y', { requestsPerSecond })])).edges.get('a/x->a/y')?.width;
    assert.deepEqual([0, 5, 8, 50, 500, 5000, 500_000].map(width), [1.5, 1.5, 1.5, 2.5, 3.5, 4.5, 4.5]);
  });

  it('keeps the width of an edge whose rate hovers at a step', () => {
    const at = (requestsPerSecond: number): TrafficGraph => graph([node('a/x'), node('a/y')], [edge('a/x', 'a/y', { requestsPerSecond })]);
    const shown = graphElements(at(8));
    assert.equal(graphElements(at(10), shown).edges.get('a/x->a/y')?.width, 1.5, '10 req/s is past the step, but not by 40 %');
    assert.equal(graphElements(at(20), shown).edges.get('a/x->a/y')?.width, 2.5);
    const wide = graphElements(at(40));
    assert.equal(graphElements(at(7), wide).edges.get('a/x->a/y')?.width, 2.5);
    assert.equal(graphElements(at(4), wide).edges.get('a/x->a/y')?.width, 1.5);
  });

  it('drops an edge whose end is not in the graph rather than break the map', () => {
    const elements = graphElements(graph([node('shop/client')], [edge('shop/client', 'shop/gone')]));
    assert.equal(elements.edges.size, 0);
  });
});

describe('edgeLabel', () => {
  it('shows rate, success rate, p99 and a lock for mTLS', () => {
    assert.equal(edgeLabel(edge('a/x', 'a/y', { requestsPerSecond: 12.34, successRate: 0.995 })), '12.3 req/s · 99.50% · p99 9.0 ms 🔒');
    assert.equal(edgeLabel(edge('a/x', 'a/y', { mtls: false, successRate: null, latency: null })), '10 req/s · – · p99 –');
  });

  it('shows bytes and connections for TCP', () => {
    assert.equal(edgeLabel(edge('a/x', 'a/y', { protocol: 'tcp', requestsPerSecond: 0, bytesPerSecond: 1500, connectionsPerSecond: 2 })), 'TCP 1.5 kB/s · 2 conn/s 🔒');
  });
});

describe('diffGraph', () => {
  it('adds everything to an empty map, namespaces first', () => {
    const diff = diffGraph(emptyElements(), graphElements(shop));
    assert.deepEqual(diff.added.namespaces.map((n) => n.id), ['ns:shop']);
    assert.deepEqual(diff.added.nodes.map((n) => n.id), ['shop/client', 'shop/server']);
    assert.deepEqual(diff.added.edges.map((e) => e.id), ['shop/client->shop/server']);
    assert.deepEqual(diff.removed, []);
  });

  it('is empty when nothing changed', () => {
    assert.ok(isEmptyDiff(diffGraph(graphElements(shop), graphElements(structuredClone(shop)))));
  });

  it('changes only what changed', () => {
    const next = graph([node('shop/client'), node('shop/server', 'failing')], [edge('shop/client', 'shop/server', { successRate: 0.5, health: 'failing' })]);
    const diff = diffGraph(graphElements(shop), graphElements(next));
    assert.deepEqual(diff.changed.nodes.map((n) => [n.id, n.health]), [['shop/server', 'failing']]);
    assert.deepEqual(diff.changed.edges.map((e) => [e.id, e.health]), [['shop/client->shop/server', 'failing']]);
    assert.equal(diff.added.nodes.length + diff.added.edges.length + diff.removed.length, 0);
  });

  it('removes edges before nodes and empty namespaces last, and adds the new ones', () => {
    const next = graph([node('shop/client'), node('bank/ledger')], [edge('shop/client', 'bank/ledger')]);
    const diff = diffGraph(graphElements(shop), graphElements(next));
    assert.deepEqual(diff.removed, ['shop/client->shop/server', 'shop/server']);
    assert.deepEqual(diff.added.namespaces.map((n) => n.id), ['ns:bank']);
    assert.deepEqual(diff.added.nodes.map((n) => n.id), ['bank/ledger']);
    assert.deepEqual(diff.added.edges.map((e) => e.id), ['shop/client->bank/ledger']);
    const emptied = diffGraph(graphElements(next), graphElements(graph([node('bank/ledger')], [])));
    assert.deepEqual(emptied.removed, ['shop/client->bank/ledger', 'shop/client', 'ns:shop']);
  });

  it('scales linearly: four times the edges cost about four times as much (absolute figures are in make bench)', () => {
    const pair = (size: number): [ReturnType<typeof graphElements>, ReturnType<typeof graphElements>] => {
      const nodes = Array.from({ length: size / 4 }, (_, i) => node(`ns-${i % 20}/w-${i}`));
      const edges = Array.from({ length: size }, (_, i) => edge(nodes[i % nodes.length]?.id ?? '', nodes[(i * 7 + 1) % nodes.length]?.id ?? '', { requestsPerSecond: i }));
      return [graphElements(graph(nodes, edges)), graphElements(graph(nodes, edges.map((e, i) => (i % 2 === 0 ? { ...e, successRate: 0.5 } : e))))];
    };
    /** The fastest of 9 runs: the least disturbed by anything else on the machine. */
    const cost = ([before, after]: ReturnType<typeof pair>): number => {
      let best = Infinity;
      for (let run = 0; run < 9; run++) {
        const started = process.hrtime.bigint();
        const diff = diffGraph(before, after);
        best = Math.min(best, Number(process.hrtime.bigint() - started));
        assert.ok(diff.changed.edges.length > 0);
      }
      return best;
    };
    const small = pair(4000);
    const large = pair(16_000);
    cost(small); // both sizes compiled and warm before anything is compared
    cost(large);
    // The smallest of three interleaved ratios: noise on a shared machine only ever inflates one.
    const ratio = Math.min(...[0, 1, 2].map(() => cost(large) / cost(small)));
    assert.ok(ratio < 10, `4× the edges cost ${ratio.toFixed(1)}× as much (linear is 4×, quadratic 16×)`);
  });
});
