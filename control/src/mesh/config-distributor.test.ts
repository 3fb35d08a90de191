// Unit tier: the per-stream protocol of api/proto/weft/mesh/v1/mesh.proto against a real
// model, the gRPC edge replaced by a sink that records what would be written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, keyOf, keyText, type MeshUpdate } from '@weft/api';
import { ConfigDistributor, type ConfigSession, type DistributorEvents, type UpdateSink } from './config-distributor.js';
import { MeshModel } from './mesh-model.js';

const settings = { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY' } as const;
const versionPattern = /^([0-9a-f]{8})\.([1-9][0-9]*)$/;

class RecordingSink implements UpdateSink {
  readonly updates: MeshUpdate[] = [];

  send(update: MeshUpdate): void {
    this.updates.push(update);
  }

  get last(): MeshUpdate {
    const update = this.updates.at(-1);
    assert.ok(update, 'an update was sent');
    return update;
  }
}

class RecordingEvents implements DistributorEvents {
  readonly acks: { node: string; seconds: number; full: boolean }[] = [];
  readonly nacks: { node: string; version: string; error: string }[] = [];
  readonly streamCounts: number[] = [];

  acked(event: { node: string; seconds: number; full: boolean }): void {
    this.acks.push(event);
  }

  nacked(event: { node: string; version: string; error: string }): void {
    this.nacks.push(event);
  }

  streams(count: number): void {
    this.streamCounts.push(count);
  }
}

/** A model with one enrolled workload on node-a, and a distributor over it. */
function mesh(): { model: MeshModel; distributor: ConfigDistributor; events: RecordingEvents; lines: string[]; addPod: (uid: string, ip: string) => void } {
  const model = new MeshModel({ settings, meshNamespace: 'weft-system', schedule: (flush) => flush() });
  const addPod = (uid: string, ip: string): void => {
    model.setPod(uid, { uid, name: uid, namespace: 'shop', serviceAccount: 'default', node: 'node-a', ips: [ip], labels: {}, terminating: false, createdMs: 1000 });
  };
  model.setNamespace('shop', { name: 'shop', enrolled: true });
  addPod('cart', '10.0.0.1');
  const lines: string[] = [];
  const events = new RecordingEvents();
  const distributor = new ConfigDistributor({ model, log: createLogger({ component: 'test', write: (line) => lines.push(line) }), events });
  return { model, distributor, events, lines, addPod };
}

const upserted = (update: MeshUpdate): string[] => update.upserts.map((r) => keyText(keyOf(r))).sort();

/** Opens a session after start() and ACKs its first update; returns its version. */
function subscribed(distributor: ConfigDistributor, sink = new RecordingSink(), node = 'node-a'): { session: ConfigSession; sink: RecordingSink; version: string } {
  const session = distributor.open(node, '', sink);
  const { version } = sink.last;
  session.answered(version, '');
  return { session, sink, version };
}

describe('ConfigDistributor', () => {
  it('sends nothing before start(), then a full snapshot to every session opened meanwhile', () => {
    const { distributor } = mesh();
    const sinks = [new RecordingSink(), new RecordingSink()];
    sinks.forEach((sink, i) => distributor.open(i === 0 ? 'node-a' : 'node-b', '', sink));
    assert.equal(distributor.started, false);
    assert.deepEqual(sinks.map((s) => s.updates.length), [0, 0]);
    distributor.start();
    assert.equal(distributor.started, true);
    assert.deepEqual(sinks.map((s) => [s.updates.length, s.last.baseVersion]), [[1, ''], [1, '']]);
  });

  it('sends nothing before start() even when the model changes', () => {
    // A session opened while the watches still list must not get a partial snapshot.
    const { distributor, addPod } = mesh();
    const sink = new RecordingSink();
    distributor.open('node-a', '', sink);
    addPod('payments', '10.0.0.2');
    assert.deepEqual(sink.updates, []);
  });

  it("starts a new agent with a full snapshot of its node's view", () => {
    const { distributor } = mesh();
    distributor.start();
    const sink = new RecordingSink();
    distributor.open('node-a', '', sink);
    assert.equal(sink.updates.length, 1);
    const { version, baseVersion, upserts, removals } = sink.last;
    assert.match(version, versionPattern);
    assert.equal(baseVersion, '');
    assert.deepEqual(removals, []);
    assert.deepEqual(upserted(sink.last), ['settings:mesh', 'workload:cart']);
    assert.deepEqual(upserts.find((r) => r.kind === 'workload'), { kind: 'workload', workload: { uid: 'cart', name: 'cart', namespace: 'shop', serviceAccount: 'default', node: 'node-a', ips: ['10.0.0.1'], labels: {}, enrolled: true } });
  });

  it('sends the next change only after the ACK, folding every change meanwhile into one delta', () => {
    const { distributor, model, addPod } = mesh();
    distributor.start();
    const sink = new RecordingSink();
    const session = distributor.open('node-a', '', sink);
    const first = sink.last.version;
    addPod('payments', '10.0.0.2');
    addPod('orders', '10.0.0.3');
    model.setPod('cart', undefined);
    assert.equal(sink.updates.length, 1, 'nothing while the first is unanswered');
    session.answered(first, '');
    assert.equal(sink.updates.length, 2);
    assert.equal(sink.last.baseVersion, first);
    assert.deepEqual(upserted(sink.last), ['workload:orders', 'workload:payments']);
    assert.deepEqual(sink.last.removals, [{ kind: 'workload', key: 'cart' }]);
    session.answered(sink.last.version, '');
    assert.equal(sink.updates.length, 2, 'nothing more to send');
  });

  it('ignores an answer naming another version than the one in flight', () => {
    const { distributor, events, addPod } = mesh();
    distributor.start();
    const sink = new RecordingSink();
    const session = distributor.open('node-a', '', sink);
    const first = sink.last.version;
    session.answered('00000000.1', '');
    session.answered(`${first}x`, 'refused');
    addPod('payments', '10.0.0.2');
    assert.equal(sink.updates.length, 1, 'still waiting for the ACK of the first');
    assert.deepEqual([events.acks.length, events.nacks.length], [0, 0]);
    session.answered(first, '');
    assert.equal(sink.last.baseVersion, first);
    session.answered(first, 'a late NACK of an answered update');
    assert.equal(events.nacks.length, 0);
  });

  it('sends nothing for a change outside the view of the node', () => {
    const { distributor, model } = mesh();
    distributor.start();
    const { sink } = subscribed(distributor);
    model.setPolicy('data/db-in', { policy: { name: 'db-in', namespace: 'data', action: 'ALLOW', rules: [] }, problems: [] });
    assert.equal(sink.updates.length, 1);
  });

  it('sends nothing after a refused full snapshot until the next change, which gets a full snapshot', () => {
    const { distributor, events, lines, addPod } = mesh();
    distributor.start();
    const sink = new RecordingSink();
    const session = distributor.open('node-a', '', sink);
    const refused = sink.last.version;
    session.answered(refused, 'unknown field');
    assert.deepEqual(events.nacks, [{ node: 'node-a', version: refused, error: 'unknown field' }]);
    assert.ok(lines.some((line) => line.includes('agent refused a config update') && line.includes('unknown field')));
    assert.equal(sink.updates.length, 1, 'the same content would be refused again');
    addPod('orders', '10.0.0.3');
    assert.equal(sink.updates.length, 2);
    assert.equal(sink.last.baseVersion, '');
    assert.deepEqual(sink.last.removals, []);
    assert.deepEqual(upserted(sink.last), ['settings:mesh', 'workload:cart', 'workload:orders']);
  });

  it('makes the update after a refused delta a full snapshot', () => {
    const { distributor, addPod } = mesh();
    distributor.start();
    const { session, sink } = subscribed(distributor);
    addPod('payments', '10.0.0.2');
    session.answered(sink.last.version, 'unknown field');
    addPod('orders', '10.0.0.3');
    const next = sink.updates[2];
    assert.equal(next?.baseVersion, '');
    assert.deepEqual(next.removals, []);
    assert.ok(['workload:cart', 'workload:payments'].every((key) => upserted(next).includes(key)), 'whole: what the refused delta did not repeat too');
  });

  it('answers a refused delta (a base version the agent does not hold) with a full snapshot at once', () => {
    // mesh.proto: after a refused delta the control plane sends a full snapshot, without
    // waiting for a change (in a quiet cluster none may come).
    const { distributor } = mesh();
    distributor.start();
    const { session, version } = subscribed(distributor);
    session.close();
    const sink = new RecordingSink();
    const resumed = distributor.open('node-a', version, sink);
    assert.equal(sink.last.baseVersion, version);
    resumed.answered(sink.last.version, `base version ${version} is not the version held`);
    assert.equal(sink.updates.length, 2);
    assert.equal(sink.last.baseVersion, '');
    assert.deepEqual(upserted(sink.last), ['settings:mesh', 'workload:cart']);
  });

  it('sends a full snapshot at once after a NACK when changes arrived while the refused update was in flight', () => {
    // A change that arrived while the refused update was in flight is not stranded: a full
    // snapshot carrying it goes out at once.
    const { distributor, addPod } = mesh();
    distributor.start();
    const sink = new RecordingSink();
    const session = distributor.open('node-a', '', sink);
    addPod('payments', '10.0.0.2');
    session.answered(sink.last.version, 'refused');
    assert.equal(sink.updates.length, 2);
    assert.equal(sink.last.baseVersion, '');
    assert.deepEqual(upserted(sink.last), ['settings:mesh', 'workload:cart', 'workload:payments']);
  });

  it('resumes an agent that reconnects with the version it ACKed with a delta, even an empty one', () => {
    const { distributor, model, addPod } = mesh();
    distributor.start();
    const { session, version } = subscribed(distributor);
    session.close();
    const again = new RecordingSink();
    const resumed = distributor.open('node-a', version, again);
    assert.equal(again.updates.length, 1);
    assert.deepEqual({ ...again.last, version: '' }, { version: '', baseVersion: version, upserts: [], removals: [] });
    assert.notEqual(again.last.version, version);
    resumed.answered(again.last.version, '');
    resumed.close();
    const held = again.last.version;
    addPod('payments', '10.0.0.2');
    model.setPod('cart', undefined);
    const third = new RecordingSink();
    distributor.open('node-a', held, third);
    assert.equal(third.last.baseVersion, held);
    assert.deepEqual(upserted(third.last), ['workload:payments']);
    assert.deepEqual(third.last.removals, [{ kind: 'workload', key: 'cart' }]);
  });

  it('gives a full snapshot to an agent whose version is empty, unknown, never ACKed or of another node, though the node ACKed another', () => {
    const { distributor } = mesh();
    distributor.start();
    const { session: acked } = subscribed(distributor);
    acked.close();
    const unacked = new RecordingSink();
    distributor.open('node-a', '', unacked).close();
    const { version: ofNodeB } = subscribed(distributor, new RecordingSink(), 'node-b');
    for (const version of ['', 'deadbeef.1', unacked.last.version, ofNodeB]) {
      const sink = new RecordingSink();
      distributor.open('node-a', version, sink);
      assert.equal(sink.last.baseVersion, '', version);
      assert.deepEqual(upserted(sink.last), ['settings:mesh', 'workload:cart'], version);
    }
  });

  it('gives a full snapshot to an agent of a restarted control plane, in versions of its own', () => {
    const { distributor, model, lines } = mesh();
    distributor.start();
    const { version } = subscribed(distributor);
    const restarted = new ConfigDistributor({ model, log: createLogger({ component: 'test', write: (line) => lines.push(line) }) });
    restarted.start();
    const sink = new RecordingSink();
    restarted.open('node-a', version, sink);
    assert.equal(sink.last.baseVersion, '');
    assert.notEqual(versionPattern.exec(sink.last.version)?.[1], versionPattern.exec(version)?.[1], 'another instance prefix');
  });

  it('numbers versions <instance>.<n>, unique across sessions and nodes', () => {
    const { distributor, addPod } = mesh();
    distributor.start();
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    const sessions = sinks.map((sink, i) => distributor.open(i === 2 ? 'node-b' : 'node-a', '', sink));
    for (let round = 0; round < 3; round++) {
      sessions.forEach((session, i) => session.answered(sinks[i]?.last.version ?? '', ''));
      addPod(`pod-${round}`, `10.0.1.${round}`);
    }
    const versions = sinks.flatMap((s) => s.updates.map((u) => u.version));
    assert.equal(versions.length, 12);
    assert.equal(new Set(versions).size, versions.length);
    const parsed = versions.map((v) => versionPattern.exec(v));
    assert.ok(parsed.every((m) => m !== null), versions.join(' '));
    assert.equal(new Set(parsed.map((m) => m[1])).size, 1, 'one instance');
    assert.deepEqual(parsed.map((m) => Number(m[2])).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('reports ACKs (full or delta, with their latency), NACKs and the number of streams', () => {
    const { distributor, events, addPod } = mesh();
    distributor.start();
    const sink = new RecordingSink();
    const session = distributor.open('node-a', '', sink);
    const other = distributor.open('node-b', '', new RecordingSink());
    session.answered(sink.last.version, '');
    addPod('payments', '10.0.0.2');
    session.answered(sink.last.version, '');
    addPod('orders', '10.0.0.3');
    session.answered(sink.last.version, 'bad');
    assert.deepEqual(events.acks.map((e) => [e.node, e.full]), [['node-a', true], ['node-a', false]]);
    assert.ok(events.acks.every((e) => Number.isFinite(e.seconds) && e.seconds >= 0 && e.seconds < 60));
    assert.deepEqual(events.nacks.map((e) => [e.node, e.error]), [['node-a', 'bad']]);
    other.close();
    distributor.closeAll();
    assert.deepEqual(events.streamCounts, [1, 2, 1, 0]);
  });

  it('stops a session for good once it is closed, alone or by closeAll', () => {
    const { distributor, events, addPod } = mesh();
    distributor.start();
    const closed = new RecordingSink();
    const session = distributor.open('node-a', '', closed);
    const open = new RecordingSink();
    const survivor = distributor.open('node-b', '', open);
    session.close();
    session.close();
    session.answered(closed.last.version, '');
    addPod('payments', '10.0.0.2');
    assert.equal(closed.updates.length, 1);
    assert.deepEqual(events.acks, [], 'an answer on a closed session is not counted');
    survivor.answered(open.last.version, '');
    distributor.closeAll();
    addPod('orders', '10.0.0.3');
    assert.equal(open.updates.length, 2, 'the delta for payments, and nothing after closeAll');
    assert.deepEqual(events.streamCounts, [1, 2, 1, 0]);
  });
});
