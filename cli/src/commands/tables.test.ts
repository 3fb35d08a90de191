import { describe, it } from 'node:test';
import type { StatsRow, TrafficGraph } from '@weft/api';
import { assertGolden } from '../golden.js';
import { renderData, renderTable } from '../output.js';
import { edgeHeaders, edgeRows, edgeViews } from './edges.js';
import { statHeaders, statRows } from './stat.js';

const row = (name: string, extra: Partial<StatsRow> = {}): StatsRow => ({
  namespace: 'demo',
  name,
  requestsPerSecond: 10.04,
  successRate: 0.995,
  latency: { p50: 1.24, p95: 4.5, p99: 12.6 },
  mtlsShare: 1,
  bytesPerSecond: 5000,
  connectionsPerSecond: 10,
  health: 'healthy',
  identities: [`spiffe://cluster.local/ns/demo/sa/${name}`],
  ...extra,
});

describe('tables', () => {
  it('weft stat deploy|ns: columns and number formats pinned', () => {
    const rows = [row('catalog'), row('frontend', { successRate: null, latency: null, mtlsShare: null, requestsPerSecond: 0, identities: [] })];
    assertGolden('stat-deploy.txt', renderTable(statHeaders('workload'), statRows(rows, 'workload')));
    assertGolden('stat-ns.txt', renderTable(statHeaders('namespace'), statRows([row('demo', { namespace: 'demo', identities: ['spiffe://cluster.local/ns/demo/sa/a', 'spiffe://cluster.local/ns/demo/sa/b'] })], 'namespace')));
  });

  it('weft edges: both identities, sorted by source then destination, as a table and as YAML', () => {
    const edge = (source: string, target: string, mtls: boolean) => ({
      id: `${source}->${target}`,
      source,
      target,
      protocol: 'http' as const,
      requestsPerSecond: 9.96,
      successRate: 1,
      latency: { p50: 1, p95: 2, p99: 3.04 },
      bytesPerSecond: 100,
      connectionsPerSecond: 1,
      mtls,
      health: 'healthy' as const,
    });
    const node = (id: string, identities: string[]) => ({ id, namespace: id.split('/')[0] ?? '', name: id.split('/')[1] ?? '', kind: 'workload' as const, identities, health: 'healthy' as const });
    const graph: TrafficGraph = {
      at: 0,
      windowSeconds: 60,
      namespaces: ['demo'],
      nodes: [node('demo/load', ['spiffe://cluster.local/ns/demo/sa/load']), node('demo/frontend', ['spiffe://cluster.local/ns/demo/sa/frontend']), { ...node('outside/198.19.1.9', []), kind: 'outside' }],
      edges: [edge('demo/load', 'demo/frontend', true), edge('demo/frontend', 'demo/catalog', true), edge('outside/198.19.1.9', 'demo/frontend', false)],
    };
    const views = edgeViews(graph);
    assertGolden('edges.txt', renderTable(edgeHeaders, edgeRows(views)));
    assertGolden('edges.yaml', renderData(views, 'yaml'));
  });
});
