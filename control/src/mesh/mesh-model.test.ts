// Unit tier: the model fed with translated facts, batches flushed synchronously.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '@weft/api';
import { MeshModel, type ModelChange } from './mesh-model.js';
import type { TranslatedPolicy } from './policy-translate.js';
import type { PodFacts, ServiceFacts, SliceFacts } from './translate.js';

const settings = { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY' } as const;

function syncModel(): { model: MeshModel; changes: ModelChange[] } {
  const model = new MeshModel({ settings, meshNamespace: 'weft-system', schedule: (flush) => flush() });
  const changes: ModelChange[] = [];
  model.onChange((change) => changes.push(change));
  return { model, changes };
}

function pod(uid: string, ip: string, fields: Partial<PodFacts> = {}): PodFacts {
  return { uid, name: uid, namespace: 'shop', serviceAccount: 'default', node: 'node-a', ips: [ip], labels: { app: 'cart' }, terminating: false, createdMs: 1000, ...fields };
}

const cartFacts: ServiceFacts = { name: 'cart', namespace: 'shop', vips: ['10.96.0.10'], ports: [{ name: 'http', port: 80, targetPort: 8080 }] };

function slice(endpoints: [uid: string, ready: boolean][], service = 'shop/cart'): SliceFacts {
  return { service, endpoints: endpoints.map(([podUid, ready]) => ({ podUid, ready })), ports: new Map([['http', 8080]]) };
}

function policy(name: string, namespace = 'shop', ports = [8080]): TranslatedPolicy {
  return { policy: { name, namespace, action: 'ALLOW', rules: [{ toPorts: ports }] }, problems: [] };
}

const served = (model: MeshModel): Service[] => [...model.services()].flatMap((e) => (e.resource.kind === 'service' ? [e.resource.service] : []));
const workloadUids = (model: MeshModel): string[] => [...model.workloads()].map((e) => e.workload.uid).sort();

describe('MeshModel', () => {
  describe('workloads', () => {
    it('makes a pod a workload with sorted labels, enrolled as its namespace says', () => {
      const { model } = syncModel();
      model.setNamespace('shop', { name: 'shop', enrolled: true });
      model.setPod('p1', pod('p1', '10.0.0.1', { labels: { tier: 'web', app: 'cart' }, serviceAccount: 'cart', mode: 'STRICT' }));
      const entry = model.workload('p1');
      assert.deepEqual(entry?.workload, { uid: 'p1', name: 'p1', namespace: 'shop', serviceAccount: 'cart', node: 'node-a', ips: ['10.0.0.1'], labels: { app: 'cart', tier: 'web' }, enrolled: true, mode: 'STRICT' });
      assert.deepEqual(Object.keys(entry.workload.labels), ['app', 'tier']);
      assert.deepEqual(entry.resource, { kind: 'workload', workload: entry.workload });
      assert.equal(entry.fingerprint, JSON.stringify(entry.resource));
    });

    it('names the workload that runs a pod, sent to every node; a pod nothing owns has none', () => {
      const { model } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1', { name: 'cart-7d9f8-x2x4q', workload: 'cart' }));
      model.setPod('p2', pod('p2', '10.0.0.2'));
      assert.equal(model.workload('p1')?.workload.workload, 'cart');
      assert.deepEqual(model.workload('p1')?.remote.resource, { kind: 'workload', workload: { ...model.workload('p1')?.workload, labels: {} } });
      assert.equal('workload' in (model.workload('p2')?.workload ?? {}), false);
    });

    it('flips enrolled on the existing pods of a namespace when it is labelled, in one change', () => {
      const { model, changes } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setPod('p2', pod('p2', '10.0.0.2'));
      model.setPod('out', pod('out', '10.0.0.3', { enrollment: 'disabled' }));
      model.setPod('other', pod('other', '10.0.1.1', { namespace: 'data' }));
      const optedOut = model.workload('out');
      const { revision } = model;
      const seen = changes.length;
      model.setNamespace('shop', { name: 'shop', enrolled: true });
      assert.equal(changes.length, seen + 1);
      assert.equal(model.revision, revision + 1);
      assert.deepEqual(
        [...model.workloads()].map((e) => [e.workload.uid, e.workload.enrolled]),
        [['p1', true], ['p2', true], ['out', false], ['other', false]],
      );
      assert.equal(model.workload('out'), optedOut, "the pod's own disabled label wins; its entry is not rebuilt");
      model.setNamespace('shop', undefined);
      assert.equal(model.workload('p1')?.workload.enrolled, false, 'a deleted namespace enrolls nothing');
    });

    it("enrolls a pod labelled enabled in a namespace that is not, but never the mesh's own pods", () => {
      const { model } = syncModel();
      model.setNamespace('weft-system', { name: 'weft-system', enrolled: true });
      model.setPod('in', pod('in', '10.0.0.1', { enrollment: 'enabled' }));
      model.setPod('agent', pod('agent', '10.0.0.2', { namespace: 'weft-system', enrollment: 'enabled' }));
      assert.equal(model.workload('in')?.workload.enrolled, true);
      assert.equal(model.workload('agent')?.workload.enrolled, false);
    });

    it('gives the remote form of a workload no labels and nothing else different', () => {
      const { model } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1', { labels: { app: 'cart' } }));
      const entry = model.workload('p1');
      assert.ok(entry);
      assert.deepEqual(entry.remote.resource, { kind: 'workload', workload: { ...entry.workload, labels: {} } });
      assert.equal(entry.remote.fingerprint, JSON.stringify(entry.remote.resource));
      assert.notEqual(entry.remote.fingerprint, entry.fingerprint);
    });
  });

  describe('settings', () => {
    it('carries the namespace modes, sorted, following the namespace labels', () => {
      const { model, changes } = syncModel();
      assert.deepEqual(model.settings.resource, { kind: 'settings', settings: { ...settings, namespaceModes: {} } });
      model.setNamespace('shop', { name: 'shop', enrolled: false, mode: 'STRICT' });
      model.setNamespace('data', { name: 'data', enrolled: false, mode: 'PERMISSIVE' });
      const { resource } = model.settings;
      assert.ok(resource.kind === 'settings');
      assert.deepEqual(resource.settings, { ...settings, namespaceModes: { data: 'PERMISSIVE', shop: 'STRICT' } });
      assert.deepEqual(Object.keys(resource.settings.namespaceModes), ['data', 'shop']);
      const before = model.settings;
      const seen = changes.length;
      model.setNamespace('shop', { name: 'shop', enrolled: true, mode: 'STRICT' });
      assert.equal(model.settings, before, 'enrolling changes no mode');
      model.setNamespace('shop', { name: 'shop', enrolled: true });
      assert.deepEqual(model.settings.resource.kind === 'settings' && model.settings.resource.settings.namespaceModes, { data: 'PERMISSIVE' });
      assert.equal(changes.length, seen + 1, 'a namespace with no pods changes nothing by enrolling');
    });
  });

  describe('batches', () => {
    it('tells its listeners once per batch, after the batch is applied', () => {
      const scheduled: (() => void)[] = [];
      const model = new MeshModel({ settings, meshNamespace: 'weft-system', schedule: (flush) => scheduled.push(flush) });
      const changes: ModelChange[] = [];
      model.onChange((change) => changes.push(change));
      const start = performance.now();
      model.setNamespace('shop', { name: 'shop', enrolled: true, mode: 'STRICT' });
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setService('shop/cart', cartFacts);
      model.setSlice('shop/cart-1', slice([['p1', true]]));
      model.setPolicy('shop/a', policy('a'));
      assert.equal(scheduled.length, 1, 'one flush is scheduled for the whole batch');
      assert.equal(changes.length, 0);
      assert.deepEqual(workloadUids(model), [], 'nothing is built before the flush');
      scheduled[0]?.();
      const [change, ...more] = changes;
      assert.ok(change);
      assert.equal(more.length, 0);
      assert.equal(change.revision, 1);
      assert.ok(change.since >= start && change.since <= performance.now(), 'since is when the first input arrived');
      assert.deepEqual(served(model)[0]?.endpoints, ['p1']);
      assert.equal([...model.policies()].length, 1);
    });

    it('flushes at once on flushNow, and the scheduled flush then does nothing', () => {
      const scheduled: (() => void)[] = [];
      const model = new MeshModel({ settings, meshNamespace: 'weft-system', schedule: (flush) => scheduled.push(flush) });
      const changes: ModelChange[] = [];
      model.onChange((change) => changes.push(change));
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.flushNow();
      assert.deepEqual(workloadUids(model), ['p1']);
      scheduled[0]?.();
      assert.equal(changes.length, 1);
      model.flushNow();
      assert.equal(changes.length, 1, 'nothing pending, nothing told');
    });

    it('tells nobody and keeps its revision when the inputs change nothing', () => {
      const { model, changes } = syncModel();
      model.setNamespace('shop', { name: 'shop', enrolled: true, mode: 'STRICT' });
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setService('shop/cart', cartFacts);
      model.setSlice('shop/cart-1', slice([['p1', true]]));
      model.setPolicy('shop/a', policy('a'));
      const { revision } = model;
      const seen = changes.length;
      model.setNamespace('shop', { name: 'shop', enrolled: true, mode: 'STRICT' });
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setService('shop/cart', { ...cartFacts });
      model.setSlice('shop/cart-1', slice([['p1', true]]));
      model.setPolicy('shop/a', policy('a'));
      model.setPolicy('shop/unknown', undefined);
      model.setPod('unknown', undefined);
      model.setService('shop/unknown', undefined);
      assert.equal(changes.length, seen);
      assert.equal(model.revision, revision);
    });

    it('stops telling a listener that unsubscribed', () => {
      const { model } = syncModel();
      let told = 0;
      const unsubscribe = model.onChange(() => told++);
      model.setPod('p1', pod('p1', '10.0.0.1'));
      unsubscribe();
      model.setPod('p2', pod('p2', '10.0.0.2'));
      assert.equal(told, 1);
    });
  });

  describe('IP ownership', () => {
    it('gives a shared IP to the pod that is not being deleted, even when it is older', () => {
      const { model } = syncModel();
      model.setPod('new', pod('new', '10.0.0.9', { createdMs: 1000 }));
      model.setPod('leaving', pod('leaving', '10.0.0.9', { createdMs: 5000, terminating: true }));
      assert.deepEqual(workloadUids(model), ['new']);
    });

    it('gives a shared IP to the newer of two live pods, in whatever order they arrive', () => {
      for (const order of [['old', 'young'], ['young', 'old']]) {
        const { model } = syncModel();
        for (const uid of order) model.setPod(uid, pod(uid, '10.0.0.9', { createdMs: uid === 'young' ? 2000 : 1000 }));
        assert.deepEqual(workloadUids(model), ['young'], order.join(' then '));
      }
    });

    it('shows the withheld pod, in the same change, once the winner is gone or moves', () => {
      const { model, changes } = syncModel();
      model.setPod('old', pod('old', '10.0.0.9', { createdMs: 1000 }));
      model.setPod('young', pod('young', '10.0.0.9', { createdMs: 2000 }));
      const seen = changes.length;
      model.setPod('young', undefined);
      assert.deepEqual(workloadUids(model), ['old']);
      assert.equal(changes.length, seen + 1);
      model.setPod('young', pod('young', '10.0.0.9', { createdMs: 2000 }));
      assert.deepEqual(workloadUids(model), ['young']);
      model.setPod('young', pod('young', '10.0.0.10', { createdMs: 2000 }));
      assert.deepEqual(workloadUids(model), ['old', 'young']);
    });

    it('withholds a dual-stack pod whole when it loses one of its IPs', () => {
      const { model } = syncModel();
      model.setPod('dual', pod('dual', '10.0.0.9', { ips: ['10.0.0.9', 'fd00::9'], createdMs: 1000 }));
      model.setPod('v4', pod('v4', '10.0.0.9', { createdMs: 2000 }));
      assert.deepEqual(workloadUids(model), ['v4']);
    });
  });

  describe('services', () => {
    it('omits a service while an endpoint is not a workload, and serves it once that pod is one', () => {
      const { model, changes } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setService('shop/cart', cartFacts);
      model.setSlice('shop/cart-1', slice([['p1', true], ['p2', true]]));
      assert.deepEqual(served(model), []);
      const seen = changes.length;
      model.setPod('p2', pod('p2', '10.0.0.2'));
      assert.equal(changes.length, seen + 1);
      assert.deepEqual(served(model), [{ name: 'cart', namespace: 'shop', vips: ['10.96.0.10'], ports: [{ name: 'http', port: 80, targetPort: 8080 }], endpoints: ['p1', 'p2'] }]);
    });

    it('follows its slices: readiness, endpoints leaving, slices coming and going', () => {
      const { model } = syncModel();
      for (const [uid, ip] of [['p1', '10.0.0.1'], ['p2', '10.0.0.2'], ['p3', '10.0.0.3']] as const) model.setPod(uid, pod(uid, ip));
      model.setService('shop/cart', cartFacts);
      model.setSlice('shop/cart-1', slice([['p1', true], ['p2', true]]));
      assert.deepEqual(served(model)[0]?.endpoints, ['p1', 'p2']);
      model.setSlice('shop/cart-1', slice([['p1', true], ['p2', false]]));
      assert.deepEqual(served(model)[0]?.endpoints, ['p1']);
      model.setSlice('shop/cart-2', slice([['p3', true]]));
      assert.deepEqual(served(model)[0]?.endpoints, ['p1', 'p3']);
      model.setSlice('shop/cart-1', undefined);
      assert.deepEqual(served(model)[0]?.endpoints, ['p3']);
      model.setSlice('shop/cart-2', undefined);
      assert.deepEqual(served(model)[0]?.endpoints, [], 'no slices: served, with no endpoints');
    });

    it('withholds a service whose endpoint pod is gone until its slice drops it', () => {
      const { model } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setPod('p2', pod('p2', '10.0.0.2'));
      model.setService('shop/cart', cartFacts);
      model.setSlice('shop/cart-1', slice([['p1', true], ['p2', true]]));
      model.setPod('p2', undefined);
      assert.deepEqual(served(model), []);
      model.setSlice('shop/cart-1', slice([['p1', true]]));
      assert.deepEqual(served(model)[0]?.endpoints, ['p1']);
    });

    it('keeps a pod tied to its service while another slice still names it', () => {
      const { model } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setService('shop/cart', cartFacts);
      model.setSlice('shop/cart-1', slice([['p1', true]]));
      model.setSlice('shop/cart-2', slice([['p1', true]]));
      model.setSlice('shop/cart-1', undefined);
      assert.deepEqual(served(model)[0]?.endpoints, ['p1']);
      model.setPod('p1', undefined);
      assert.deepEqual(served(model), [], 'the pod going still reaches the service through the other slice');
    });

    it('removes a deleted service, and serves one only once its facts arrive', () => {
      const { model } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setSlice('shop/cart-1', slice([['p1', true]]));
      assert.deepEqual(served(model), [], 'a slice alone is no service');
      model.setService('shop/cart', cartFacts);
      assert.equal(served(model).length, 1);
      model.setService('shop/cart', undefined);
      assert.deepEqual(served(model), []);
      assert.equal(model.isEndpoint('p1'), false);
    });

    it('counts a workload as an endpoint while some served service lists it as ready', () => {
      const { model } = syncModel();
      model.setPod('p1', pod('p1', '10.0.0.1'));
      model.setPod('p2', pod('p2', '10.0.0.2'));
      model.setService('shop/cart', cartFacts);
      model.setService('shop/cart-admin', { ...cartFacts, name: 'cart-admin', vips: ['10.96.0.11'] });
      model.setSlice('shop/cart-1', slice([['p1', true], ['p2', false]]));
      model.setSlice('shop/cart-admin-1', slice([['p1', true]], 'shop/cart-admin'));
      assert.equal(model.isEndpoint('p1'), true);
      assert.equal(model.isEndpoint('p2'), false, 'not ready');
      assert.equal(model.isEndpoint('nobody'), false);
      model.setService('shop/cart', undefined);
      assert.equal(model.isEndpoint('p1'), true, 'cart-admin still lists it');
      model.setSlice('shop/cart-admin-1', slice([['p1', true], ['stranger', true]], 'shop/cart-admin'));
      assert.equal(model.isEndpoint('p1'), false, 'a service the mesh does not serve lists nobody');
    });
  });

  describe('policies', () => {
    it('adds, replaces and removes policies, each a change', () => {
      const { model, changes } = syncModel();
      model.setPolicy('shop/a', policy('a'));
      model.setPolicy('data/b', policy('b', 'data'));
      assert.deepEqual([...model.policies()].map((e) => [e.policy.name, e.fingerprint === JSON.stringify(e.resource)]), [['a', true], ['b', true]]);
      assert.equal(changes.length, 2);
      model.setPolicy('shop/a', policy('a', 'shop', [9090]));
      assert.deepEqual([...model.policies()].find((e) => e.policy.name === 'a')?.policy.rules, [{ toPorts: [9090] }]);
      assert.equal(changes.length, 3);
      model.setPolicy('shop/a', undefined);
      assert.deepEqual([...model.policies()].map((e) => e.policy.name), ['b']);
      assert.equal(changes.length, 4);
      assert.equal(model.revision, 4);
    });
  });

  it('tells which workload a pod belongs to, by uid or by namespace and name, and forgets a deleted pod', () => {
    const { model } = syncModel();
    model.setPod('uid-1', pod('uid-1', '10.0.0.1', { name: 'server-abc-1', workload: 'server' }));
    model.setPod('uid-2', pod('uid-2', '10.0.0.2', { name: 'loner' }));
    model.flushNow();
    assert.deepEqual(model.workloadOf({ uid: 'uid-1', namespace: '', name: '' }), { namespace: 'shop', name: 'server' });
    assert.deepEqual(model.workloadOf({ uid: '', namespace: 'shop', name: 'server-abc-1' }), { namespace: 'shop', name: 'server' });
    assert.deepEqual(model.workloadOf({ uid: 'uid-2', namespace: 'shop', name: 'loner' }), { namespace: 'shop', name: 'loner' }, 'a pod of no owner is its own workload');
    model.setPod('uid-1', undefined);
    assert.equal(model.workloadOf({ uid: '', namespace: 'shop', name: 'server-abc-1' }), undefined);
  });
});
