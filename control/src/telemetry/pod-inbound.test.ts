// `weft stat`'s numbers with known inputs: inbound traffic per pod, workload and namespace,
// one account per request when both ends report, the mTLS share, filters, pruning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EdgeDelta, type StatsRow, type TelemetryPeer } from '@weft/api';
import { slotMs, windowSlots } from './edge-window.js';
import { edgeDelta, type EdgeDeltaFixture } from './edge-delta-fixture.js';
import { TelemetryStore } from './telemetry-store.js';

const t0 = 1_800_000_000_000;
const owners: Record<string, { namespace: string; name: string }> = {
  'uid-web-1': { namespace: 'shop', name: 'web' },
  'uid-web-2': { namespace: 'shop', name: 'web' },
};
const peer = (uid: string, name: string, namespace = 'shop'): TelemetryPeer => ({ namespace, name, uid, identity: `spiffe://cluster.local/ns/${namespace}/sa/${name.split('-')[0] ?? ''}` });
const outside: TelemetryPeer = { namespace: '', name: '198.19.9.9', uid: '', identity: '' };
const client = peer('uid-client', 'client');
const web1 = peer('uid-web-1', 'web-1');
const web2 = peer('uid-web-2', 'web-2');
const lone = peer('uid-lone', 'lone');

const delta = (to: TelemetryPeer, options: Omit<EdgeDeltaFixture, 'from' | 'to'> & { from?: TelemetryPeer }): EdgeDelta => edgeDelta({ ...options, from: options.from ?? client, to });

const storeOf = (resolve: Record<string, { namespace: string; name: string }> = owners): TelemetryStore => new TelemetryStore({ resolver: { workloadOf: ({ uid }) => resolve[uid] } });

/**
 * 30 s of reports every 2 s from three nodes: node A (web-1 and the bare pod lone), node B
 * (web-2, the other pod of the same Deployment) and the client's node C. web-1 and web-2 get
 * 10 requests each per report (one of web-2's fails), lone 5 connections over TCP only.
 */
function fill(): TelemetryStore {
  const store = storeOf();
  for (let i = 0; i < 15; i++) {
    const intervalEndMs = t0 + (i + 1) * 2000;
    const report = (edges: EdgeDelta[]): void => store.ingest({ intervalEndMs, intervalMs: 2000, edges });
    report([delta(web1, { requests: 10, ms: 3 }), delta(lone, { requests: 0, connections: 5, mtls: i % 5 !== 0 })]);
    report([delta(web2, { requests: 10, failed: 1, ms: 30 }), delta(web2, { requests: 0, from: outside, mtls: false, connections: 0 })]);
    // The client's agent reports the same requests (and counts one more to web-2, a timeout
    // it retried): they must not count twice, and the destinations' own accounts win.
    report([delta(web1, { requests: 10, ms: 3, reporter: 'source' }), delta(web2, { requests: 11, failed: 2, ms: 30, reporter: 'source' })]);
  }
  return store;
}

function rowNamed(rows: StatsRow[], name: string): StatsRow {
  const found = rows.find((r) => r.name === name);
  assert.ok(found, name);
  return found;
}

describe('TelemetryStore.stats', () => {
  it('by pod: each destination pod its rate, success, latency, mTLS share and identity, sorted', () => {
    const { rows, by, windowSeconds, at } = fill().stats({ by: 'pod', windowSeconds: 60 });
    assert.deepEqual([by, windowSeconds, at], ['pod', 60, t0 + 30_000]);
    assert.deepEqual(rows.map((r) => r.name), ['lone', 'web-1', 'web-2']);
    const [lonely, first, second] = [rowNamed(rows, 'lone'), rowNamed(rows, 'web-1'), rowNamed(rows, 'web-2')];
    // 150 requests over the 30 s it was seen (not the 60 s window), once although both ends reported them.
    assert.equal(first.requestsPerSecond, 5);
    assert.equal(first.successRate, 1);
    assert.deepEqual(first.latency, { p50: 3.75, p95: 4.875, p99: 4.975 }, 'inside the (2.5 ms, 5 ms] bucket');
    assert.equal(first.mtlsShare, 1);
    assert.equal(first.bytesPerSecond, 1500);
    assert.equal(first.connectionsPerSecond, 5);
    assert.equal(first.health, 'healthy');
    assert.deepEqual(first.identities, ['spiffe://cluster.local/ns/shop/sa/web']);
    assert.equal(second.requestsPerSecond, 5, 'web-2’s own agent counted 10 a report, not the client’s 11');
    assert.equal(second.successRate, 0.9);
    assert.equal(second.health, 'failing');
    assert.equal(second.mtlsShare, 1, 'the plaintext delta carried no requests');
    assert.equal(lonely.requestsPerSecond, 0);
    assert.equal(lonely.successRate, null);
    assert.equal(lonely.latency, null);
    assert.equal(lonely.health, 'idle');
    assert.equal(lonely.connectionsPerSecond, 2.5);
    assert.equal(lonely.mtlsShare, 12 / 15, 'TCP only: the share of connections');
  });

  it('by workload: the pods of one owner on two nodes add up; a bare pod is its own workload', () => {
    const rows = fill().stats({ by: 'workload', windowSeconds: 60 }).rows;
    assert.deepEqual(rows.map((r) => [r.namespace, r.name, r.requestsPerSecond, r.successRate]), [['shop', 'lone', 0, null], ['shop', 'web', 10, 285 / 300]]);
    const web = rowNamed(rows, 'web');
    assert.equal(web.latency?.p50, 5, 'half the requests at 3 ms, half at 30 ms: the median at the top of the lower bucket');
    assert.equal(web.latency.p99, 49.5, 'the slow half of the requests sets the p99');
    assert.equal(web.health, 'degraded', '95 % exactly is not yet failing');
    assert.equal(web.bytesPerSecond, 3000);
    assert.deepEqual(web.identities, ['spiffe://cluster.local/ns/shop/sa/web']);
  });

  it('rates over a window shorter than the time seen count only that window', () => {
    const rows = fill().stats({ by: 'pod', windowSeconds: 10 }).rows;
    // The last 10 s hold 5 reports of 10 requests each.
    assert.equal(rowNamed(rows, 'web-1').requestsPerSecond, 5);
    assert.equal(rowNamed(rows, 'web-1').connectionsPerSecond, 5);
  });

  it('by namespace, and filtered by namespace and name', () => {
    const store = fill();
    store.ingest({ intervalEndMs: t0 + 30_000, intervalMs: 2000, edges: [delta(peer('uid-db', 'db', 'data'), { requests: 60 })] });
    const namespaces = store.stats({ by: 'namespace', windowSeconds: 60 }).rows;
    assert.deepEqual(namespaces.map((r) => [r.namespace, r.name]), [['data', 'data'], ['shop', 'shop']]);
    assert.equal(namespaces[1]?.requestsPerSecond, 10);
    assert.deepEqual(namespaces[1].identities, ['spiffe://cluster.local/ns/shop/sa/lone', 'spiffe://cluster.local/ns/shop/sa/web']);
    assert.equal(namespaces[0]?.requestsPerSecond, 30, 'db was first seen 2 s before the window’s end');
    assert.deepEqual(store.stats({ by: 'pod', namespace: 'data', windowSeconds: 60 }).rows.map((r) => r.name), ['db']);
    assert.deepEqual(store.stats({ by: 'workload', namespace: 'shop', name: 'web', windowSeconds: 60 }).rows.map((r) => r.name), ['web']);
    assert.deepEqual(store.stats({ by: 'workload', namespace: 'data', name: 'web', windowSeconds: 60 }).rows, []);
    assert.deepEqual(store.stats({ by: 'namespace', name: 'data', windowSeconds: 60 }).rows.map((r) => r.name), ['data']);
    assert.deepEqual(store.stats({ by: 'pod', name: 'nobody', windowSeconds: 60 }).rows, []);
    assert.ok(store.stats({ by: 'pod', windowSeconds: 60 }).rows.every((r) => r.namespace !== ''), 'nothing outside the mesh has a row');
  });

  it('tells the mTLS share of requests when some came in plaintext, per pod and per workload', () => {
    const store = storeOf({ 'uid-api-1': { namespace: 'shop', name: 'api' }, 'uid-api-2': { namespace: 'shop', name: 'api' } });
    const [api1, api2] = [peer('uid-api-1', 'api-1'), peer('uid-api-2', 'api-2')];
    const legacy = peer('uid-legacy', 'legacy', 'old');
    store.ingest({
      intervalEndMs: t0 + 10_000,
      intervalMs: 10_000,
      // api-1: 30 requests over mTLS and 10 in plaintext from a pod outside the mesh's enrolment; api-2: 20 over mTLS.
      edges: [delta(api1, { requests: 30 }), delta(api1, { requests: 10, from: legacy, mtls: false }), delta(api2, { requests: 20 })],
    });
    const pods = store.stats({ by: 'pod', windowSeconds: 10 }).rows;
    assert.deepEqual(pods.map((r) => [r.name, r.mtlsShare, r.requestsPerSecond]), [['api-1', 0.75, 4], ['api-2', 1, 2]]);
    assert.equal(store.stats({ by: 'workload', windowSeconds: 10 }).rows[0]?.mtlsShare, 50 / 60);
  });

  it('uses the source’s account only when the destination reported nothing', () => {
    const store = storeOf({});
    store.ingest({ intervalEndMs: t0 + 10_000, intervalMs: 10_000, edges: [delta(web1, { requests: 40, reporter: 'source' })] });
    const rows = store.stats({ by: 'pod', windowSeconds: 10 }).rows;
    assert.equal(rows[0]?.requestsPerSecond, 4);
    assert.deepEqual(rows[0].identities, ['spiffe://cluster.local/ns/shop/sa/web'], 'the identity the client saw it serve as');
  });

  it('keeps a pod’s workload when the model has forgotten the pod and its last reports arrive', () => {
    const known: Record<string, { namespace: string; name: string }> = { ...owners };
    const store = storeOf(known);
    store.ingest({ intervalEndMs: t0 + 2000, intervalMs: 2000, edges: [delta(web1, { requests: 10 })] });
    delete known['uid-web-1'];
    store.ingest({ intervalEndMs: t0 + 4000, intervalMs: 2000, edges: [delta(web1, { requests: 10 })] });
    assert.deepEqual(store.stats({ by: 'workload', windowSeconds: 60 }).rows.map((r) => [r.name, r.requestsPerSecond]), [['web', 5]]);
  });

  it('forgets pods with nothing in the retained 15 minutes', () => {
    const store = fill();
    assert.equal(store.podCount, 3);
    const later = t0 + (windowSlots + 20) * slotMs;
    // Pruning runs every 256 reports.
    for (let i = 0; i < 256; i++) store.ingest({ intervalEndMs: later + i * 10, intervalMs: 10, edges: [delta(lone, { requests: 1 })] });
    assert.equal(store.podCount, 1, 'web-1 and web-2 are gone, lone is still reported');
    assert.deepEqual(store.stats({ by: 'pod', windowSeconds: 900 }).rows.map((r) => r.name), ['lone']);
  });
});
