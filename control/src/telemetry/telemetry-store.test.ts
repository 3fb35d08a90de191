// The telemetry store with known inputs: windows, rates, success rates, percentiles, which
// end's account counts, workloads grouped by owner, pruning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyBoundsMs, type TelemetryPeer } from '@weft/api';
import { EdgeWindow, quantileMs, slotMs, windowSlots } from './edge-window.js';
import { edgeDelta } from './edge-delta-fixture.js';
import { TelemetryStore } from './telemetry-store.js';

const t0 = 1_800_000_000_000; // a slot boundary (divisible by 5000)
const owners: Record<string, { namespace: string; name: string }> = {
  'uid-client': { namespace: 'shop', name: 'client' },
  'uid-server-1': { namespace: 'shop', name: 'server' },
  'uid-server-2': { namespace: 'shop', name: 'server' },
};
const peer = (uid: string, name = uid.replace('uid-', '')): TelemetryPeer => ({ namespace: 'shop', name, uid, identity: `spiffe://cluster.local/ns/shop/sa/${name.split('-')[0] ?? ''}` });

const delta = edgeDelta;

const store = (): TelemetryStore => new TelemetryStore({ resolver: { workloadOf: ({ uid }) => owners[uid] } });

describe('quantileMs', () => {
  it('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
    const counts = new Array<number>(latencyBoundsMs.length + 1).fill(0);
    counts[4] = 100; // (5 ms, 10 ms]
    assert.equal(quantileMs(counts, 0.5), 7.5);
    assert.equal(quantileMs(counts, 0.99), 9.95);
    counts[latencyBoundsMs.length] = 100; // above the last bound: its lower bound is answered
    assert.equal(quantileMs(counts, 0.99), 10_000);
    assert.equal(quantileMs(new Array<number>(latencyBoundsMs.length + 1).fill(0), 0.5), 0);
  });
});

describe('EdgeWindow', () => {
  it('sums exactly the slots of a span, and reuses a slot only once its time has passed out', () => {
    const window = new EdgeWindow();
    const d = delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 10 });
    for (let i = 0; i < 12; i++) window.add(d, t0 + i * slotMs + 1000);
    assert.equal(window.sum(t0, t0 + 12 * slotMs).requests, 120);
    assert.equal(window.sum(t0 + 6 * slotMs, t0 + 12 * slotMs).requests, 60);
    // A whole window later the ring wraps: the old slot at that place no longer counts.
    window.add(d, t0 + windowSlots * slotMs + 1000);
    assert.equal(window.sum(t0, t0 + slotMs).requests, 0);
    assert.equal(window.sum(t0 + windowSlots * slotMs, t0 + (windowSlots + 1) * slotMs).requests, 10);
  });
});

describe('TelemetryStore', () => {
  it('gives an edge between two workloads its rate, success rate, latency and mTLS over the window', () => {
    const s = store();
    // 30 s of 20 requests/s from client to the server's two pods, 1 in 20 failing.
    for (let i = 0; i < 15; i++) {
      s.ingest({ intervalEndMs: t0 + (i + 1) * 2000, intervalMs: 2000, edges: [delta({ from: peer('uid-client'), to: peer('uid-server-1', 'server-abc-1'), requests: 20, failed: 1, ms: 3 }), delta({ from: peer('uid-client'), to: peer('uid-server-2', 'server-abc-2'), requests: 20, failed: 1, ms: 3 })] });
    }
    const graph = s.graph({ windowSeconds: 60 });
    assert.deepEqual(graph.nodes.map((n) => n.id).sort(), ['shop/client', 'shop/server'], 'pods grouped by their workload');
    assert.equal(graph.edges.length, 1);
    const [edge] = graph.edges;
    assert.ok(edge);
    assert.equal(edge.id, 'shop/client->shop/server');
    assert.equal(edge.requestsPerSecond, 20, 'over the 30 s it has been seen, not the 60 s window');
    assert.equal(edge.successRate, 0.95);
    assert.equal(edge.health, 'degraded');
    assert.equal(edge.mtls, true);
    assert.equal(edge.protocol, 'http');
    assert.ok(edge.latency && edge.latency.p50 > 2.5 && edge.latency.p50 <= 5, `p50 in the (2.5, 5] ms bucket: ${JSON.stringify(edge.latency)}`);
    assert.equal(edge.bytesPerSecond, 20 * 300);
    assert.deepEqual(graph.namespaces, ['shop']);
    assert.equal(graph.nodes.find((n) => n.id === 'shop/server')?.health, 'degraded');
  });

  it('takes the destination’s account of an edge, and the source’s only when the destination reported nothing', () => {
    const s = store();
    const both = [delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 10, reporter: 'source' }), delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 10, reporter: 'destination' })];
    s.ingest({ intervalEndMs: t0 + 10_000, intervalMs: 10_000, edges: both });
    assert.equal(s.graph({ windowSeconds: 60 }).edges[0]?.requestsPerSecond, 1, 'counted once, not twice');
    const outside: TelemetryPeer = { namespace: '', name: '198.51.100.7:443', uid: '', identity: '' };
    s.ingest({ intervalEndMs: t0 + 20_000, intervalMs: 10_000, edges: [delta({ from: peer('uid-client'), to: outside, requests: 50, reporter: 'source', mtls: false })] });
    const external = s.graph({ windowSeconds: 60 }).edges.find((e) => e.target === 'outside/198.51.100.7:443');
    assert.equal(external?.requestsPerSecond, 5);
    assert.equal(external.mtls, false);
    assert.equal(s.graph({ windowSeconds: 60 }).nodes.find((n) => n.id === 'outside/198.51.100.7:443')?.kind, 'outside');
  });

  it('turns an edge failing when more than 5 % of its responses are 5xx, and idle without requests', () => {
    const s = store();
    s.ingest({ intervalEndMs: t0 + 10_000, intervalMs: 10_000, edges: [delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 100, failed: 40 })] });
    assert.equal(s.graph({ windowSeconds: 60 }).edges[0]?.health, 'failing');
    assert.equal(s.graph({ windowSeconds: 60 }).edges[0]?.successRate, 0.6);
  });

  it('filters by namespace and keeps only the edges with traffic in the window', () => {
    const s = store();
    const other: TelemetryPeer = { namespace: 'billing', name: 'ledger', uid: 'uid-ledger', identity: '' };
    s.ingest({ intervalEndMs: t0 + 5000, intervalMs: 5000, edges: [delta({ from: other, to: other, requests: 5 })] });
    s.ingest({ intervalEndMs: t0 + 300_000, intervalMs: 5000, edges: [delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 5 })] });
    assert.deepEqual(s.graph({ windowSeconds: 60 }).edges.map((e) => e.id), ['shop/client->shop/server'], 'the billing edge is older than a minute');
    assert.deepEqual(s.graph({ windowSeconds: 900 }).edges.map((e) => e.id).sort(), ['billing/ledger->billing/ledger', 'shop/client->shop/server']);
    assert.deepEqual(s.graph({ windowSeconds: 900, namespace: 'billing' }).edges.map((e) => e.id), ['billing/ledger->billing/ledger']);
    assert.deepEqual(s.graph({ windowSeconds: 900 }).namespaces, ['billing', 'shop']);
  });

  it('gives a workload page: inbound golden metrics over time and its edges both ways', () => {
    const s = store();
    for (let i = 0; i < 12; i++) s.ingest({ intervalEndMs: t0 + (i + 1) * slotMs, intervalMs: slotMs, edges: [delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 50, failed: i < 6 ? 0 : 25 })] });
    const detail = s.workload('shop', 'server', 60);
    assert.ok(detail);
    assert.equal(detail.stepSeconds, 5);
    const withTraffic = detail.series.filter((p) => p.requestsPerSecond > 0);
    assert.equal(withTraffic.length, 12);
    assert.ok(withTraffic.every((p) => p.requestsPerSecond === 10));
    assert.deepEqual(withTraffic.map((p) => p.successRate), [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    assert.equal(detail.inbound.length, 1);
    assert.equal(detail.outbound.length, 0);
    assert.equal(s.workload('shop', 'client', 60)?.outbound.length, 1);
    assert.equal(s.workload('shop', 'nobody', 60), undefined);
  });

  it('forgets edges with nothing in the last 15 minutes', () => {
    const s = store();
    s.ingest({ intervalEndMs: t0 + 5000, intervalMs: 5000, edges: [delta({ from: peer('uid-client'), to: peer('uid-server-1'), requests: 5 })] });
    for (let i = 0; i < 300; i++) s.ingest({ intervalEndMs: t0 + 1_000_000 + i * 5000, intervalMs: 5000, edges: [] });
    assert.equal(s.edgeCount, 0);
    assert.equal(s.workload('shop', 'server', 900), undefined);
  });
});
