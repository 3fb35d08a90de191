// `weft stat`'s numbers with known inputs: inbound traffic per pod, workload and namespace,
// one account per request when both ends report, the mTLS share, filters, pruning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyBoundsMs, type EdgeDelta, type StatsRow, type TelemetryPeer } from '@weft/api';
import { slotMs, windowSlots } from './edge-window.js';
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

function delta(to: TelemetryPeer, options: { requests: number; failed?: number; ms?: number; reporter?: 'source' | 'destination'; mtls?: boolean; from?: TelemetryPeer; connections?: number }): EdgeDelta {
  const counts = new Array<number>(latencyBoundsMs.length + 1).fill(0);
  const bucket = latencyBoundsMs.findIndex((b) => (options.ms ?? 1) <= b);
  counts[bucket < 0 ? latencyBoundsMs.length : bucket] = options.requests;
  const failed = options.failed ?? 0;
  return {
    source: options.from ?? client,
    destination: to,
    reporter: options.reporter ?? 'destination',
    mtls: options.mtls ?? true,
    requests: options.requests,
    responsesByClass: [0, options.requests - failed, 0, 0, failed],
    latencyCounts: counts,
    bytesSent: 100 * options.requests,
    bytesReceived: 200 * options.requests,
    connectionsOpened: options.connections ?? options.requests,
  };
}

/** 30 s of reports every 2 s: web-1 and web-2 get 10 requests each per report (one of web-2's fails), lone 5 over TCP only. */
function fill(): TelemetryStore {
  const store = new TelemetryStore({ resolver: { workloadOf: ({ uid }) => owners[uid] } });
  for (let i = 0; i < 15; i++) {
    store.ingest({
      intervalEndMs: t0 + (i + 1) * 2000,
      intervalMs: 2000,
      edges: [
        delta(web1, { requests: 10, ms: 3 }),
        // The client's agent reports the same requests: they must not count twice.
        delta(web1, { requests: 10, ms: 3, reporter: 'source' }),
        delta(web2, { requests: 10, failed: 1, ms: 30 }),
        delta(web2, { requests: 0, from: outside, mtls: false, connections: 0 }),
        delta(lone, { requests: 0, connections: 5, mtls: i % 5 !== 0 }),
      ],
    });
  }
  return store;
}

describe('TelemetryStore.stats', () => {
  it('by pod: each destination pod its rate, success, latency, mTLS share and identity, sorted', () => {
    const { rows, by, windowSeconds } = fill().stats({ by: 'pod', windowSeconds: 60 });
    assert.equal(by, 'pod');
    assert.equal(windowSeconds, 60);
    assert.deepEqual(rows.map((r) => r.name), ['lone', 'web-1', 'web-2']);
    const row = (name: string): StatsRow => {
      const found = rows.find((r) => r.name === name);
      assert.ok(found, name);
      return found;
    };
    const [lonely, first, second] = [row('lone'), row('web-1'), row('web-2')];
    // 150 requests over the 30 s it was seen (not the 60 s window).
    assert.equal(first.requestsPerSecond, 5);
    assert.equal(first.successRate, 1);
    assert.equal(first.latency?.p50, 3.75, 'halfway into the (2.5 ms, 5 ms] bucket');
    assert.equal(first.mtlsShare, 1);
    assert.deepEqual(first.identities, ['spiffe://cluster.local/ns/shop/sa/web']);
    assert.equal(second.successRate, 0.9);
    assert.equal(second.health, 'failing');
    assert.equal(second.mtlsShare, 1, 'the plaintext delta carried no requests');
    assert.equal(lonely.requestsPerSecond, 0);
    assert.equal(lonely.successRate, null);
    assert.equal(lonely.latency, null);
    assert.equal(lonely.connectionsPerSecond, 2.5);
    assert.equal(lonely.mtlsShare, 12 / 15, 'TCP only: the share of connections');
  });

  it('by workload: the pods of one owner add up; a bare pod is its own workload', () => {
    const rows = fill().stats({ by: 'workload', windowSeconds: 60 }).rows;
    assert.deepEqual(rows.map((r) => [r.name, r.requestsPerSecond, r.successRate]), [['lone', 0, null], ['web', 10, 285 / 300]]);
    assert.equal(rows[1]?.latency?.p99, 49.5, 'the slow half of the requests sets the p99');
  });

  it('by namespace, and filtered by namespace and name', () => {
    const store = fill();
    store.ingest({ intervalEndMs: t0 + 30_000, intervalMs: 2000, edges: [delta(peer('uid-db', 'db', 'data'), { requests: 60 })] });
    const namespaces = store.stats({ by: 'namespace', windowSeconds: 60 }).rows;
    assert.deepEqual(namespaces.map((r) => [r.namespace, r.name]), [['data', 'data'], ['shop', 'shop']]);
    assert.equal(namespaces[1]?.requestsPerSecond, 10);
    assert.deepEqual(store.stats({ by: 'pod', namespace: 'data', windowSeconds: 60 }).rows.map((r) => r.name), ['db']);
    assert.deepEqual(store.stats({ by: 'workload', namespace: 'shop', name: 'web', windowSeconds: 60 }).rows.map((r) => r.name), ['web']);
    assert.deepEqual(store.stats({ by: 'pod', name: 'nobody', windowSeconds: 60 }).rows, []);
    assert.ok(store.stats({ by: 'pod', windowSeconds: 60 }).rows.every((r) => r.namespace !== ''), 'nothing outside the mesh has a row');
  });

  it('uses the source’s account only when the destination reported nothing', () => {
    const store = new TelemetryStore({ resolver: { workloadOf: () => undefined } });
    store.ingest({ intervalEndMs: t0 + 10_000, intervalMs: 10_000, edges: [delta(web1, { requests: 40, reporter: 'source' })] });
    assert.equal(store.stats({ by: 'pod', windowSeconds: 10 }).rows[0]?.requestsPerSecond, 4);
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
