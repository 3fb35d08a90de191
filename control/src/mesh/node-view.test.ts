// Unit tier: what each node's agent receives from a real model, and the delta between views.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MeshModel } from './mesh-model.js';
import { fingerprints, nodeView, viewDiff } from './node-view.js';
import type { PodFacts } from './translate.js';

const settings = { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY' } as const;

function pod(uid: string, namespace: string, node: string, ip: string): PodFacts {
  return { uid, name: uid, namespace, serviceAccount: 'default', node, ips: [ip], labels: { app: uid }, terminating: false, createdMs: 1000 };
}

/**
 * shop and data are enrolled, legacy is not. On node-a: cart (shop), and two legacy pods,
 * one behind a service and one behind none. On node-b: db (data).
 */
function cluster(): MeshModel {
  const model = new MeshModel({ settings, meshNamespace: 'weft-system', schedule: (flush) => flush() });
  model.setNamespace('shop', { name: 'shop', enrolled: true });
  model.setNamespace('data', { name: 'data', enrolled: true });
  model.setNamespace('legacy', { name: 'legacy', enrolled: false });
  model.setPod('cart', pod('cart', 'shop', 'node-a', '10.0.0.1'));
  model.setPod('old-api', pod('old-api', 'legacy', 'node-a', '10.0.0.2'));
  model.setPod('old-batch', pod('old-batch', 'legacy', 'node-a', '10.0.0.3'));
  model.setPod('db', pod('db', 'data', 'node-b', '10.0.1.1'));
  const ports = [{ name: 'http', port: 80, targetPort: 8080 }];
  model.setService('shop/cart', { name: 'cart', namespace: 'shop', vips: ['10.96.0.1'], ports });
  model.setSlice('shop/cart-1', { service: 'shop/cart', endpoints: [{ podUid: 'cart', ready: true }], ports: new Map() });
  model.setService('legacy/api', { name: 'api', namespace: 'legacy', vips: ['10.96.0.2'], ports });
  model.setSlice('legacy/api-1', { service: 'legacy/api', endpoints: [{ podUid: 'old-api', ready: true }], ports: new Map() });
  for (const [namespace, name] of [['shop', 'cart-in'], ['data', 'db-in'], ['legacy', 'api-in']] as const) {
    model.setPolicy(`${namespace}/${name}`, { policy: { name, namespace, action: 'ALLOW', rules: [{}] }, problems: [] });
  }
  return model;
}

describe('nodeView', () => {
  it("gives a node its own enrolled workloads whole, with their labels", () => {
    const model = cluster();
    const view = nodeView(model, 'node-a');
    const cart = view.get('workload:cart');
    assert.equal(cart, model.workload('cart'));
    assert.deepEqual(cart?.resource.kind === 'workload' && cart.resource.workload.labels, { app: 'cart' });
  });

  it("gives a node the other nodes' enrolled workloads and every service endpoint without labels", () => {
    const model = cluster();
    const view = nodeView(model, 'node-a');
    assert.equal(view.get('workload:db'), model.workload('db')?.remote);
    assert.equal(view.get('workload:old-api'), model.workload('old-api')?.remote, 'an endpoint that is not enrolled, even on this node, has no labels');
    const onB = nodeView(model, 'node-b');
    assert.equal(onB.get('workload:cart'), model.workload('cart')?.remote);
    assert.equal(onB.get('workload:old-api'), model.workload('old-api')?.remote);
    const db = onB.get('workload:db');
    assert.deepEqual(db?.resource.kind === 'workload' && db.resource.workload.labels, { app: 'db' });
  });

  it('leaves out workloads that are neither enrolled nor an endpoint', () => {
    const model = cluster();
    for (const node of ['node-a', 'node-b', 'node-z']) assert.equal(nodeView(model, node).has('workload:old-batch'), false, node);
  });

  it('gives every node the settings and every served service', () => {
    const model = cluster();
    for (const node of ['node-a', 'node-b', 'node-z']) {
      const view = nodeView(model, node);
      assert.equal(view.get('settings:mesh'), model.settings, node);
      assert.ok(view.has('service:shop/cart') && view.has('service:legacy/api'), node);
    }
  });

  it('gives a node only the policies of namespaces where it runs enrolled workloads', () => {
    const model = cluster();
    const policies = (node: string): string[] => [...nodeView(model, node).keys()].filter((k) => k.startsWith('policy:'));
    assert.deepEqual(policies('node-a'), ['policy:shop/cart-in'], 'not legacy: its pods there are not enrolled');
    assert.deepEqual(policies('node-b'), ['policy:data/db-in']);
    assert.deepEqual(policies('node-z'), []);
  });

  it('is exactly settings, services and remote workloads on a node with no workloads', () => {
    const model = cluster();
    assert.deepEqual([...nodeView(model, 'node-z').keys()].sort(), ['service:legacy/api', 'service:shop/cart', 'settings:mesh', 'workload:cart', 'workload:db', 'workload:old-api']);
  });

  it('follows enrollment: a pod that opts out disappears from other nodes, and its policies from its own', () => {
    const model = cluster();
    model.setPod('db', { ...pod('db', 'data', 'node-b', '10.0.1.1'), enrollment: 'disabled' });
    assert.equal(nodeView(model, 'node-a').has('workload:db'), false);
    assert.equal(nodeView(model, 'node-b').has('policy:data/db-in'), false);
  });
});

describe('viewDiff', () => {
  it('upserts everything and removes nothing for an agent that holds nothing', () => {
    const view = nodeView(cluster(), 'node-a');
    const { upserts, removals } = viewDiff(new Map(), view);
    assert.deepEqual(upserts, [...view.values()].map((e) => e.resource));
    assert.deepEqual(removals, []);
  });

  it('is empty when nothing the node holds changed', () => {
    const model = cluster();
    const held = fingerprints(nodeView(model, 'node-a'));
    model.setPolicy('legacy/api-in', { policy: { name: 'api-in', namespace: 'legacy', action: 'DENY', rules: [] }, problems: [] });
    assert.deepEqual(viewDiff(held, nodeView(model, 'node-a')), { upserts: [], removals: [] });
  });

  it('upserts only the resources whose fingerprint changed', () => {
    const model = cluster();
    const heldA = fingerprints(nodeView(model, 'node-a'));
    const heldB = fingerprints(nodeView(model, 'node-b'));
    model.setPod('cart', { ...pod('cart', 'shop', 'node-a', '10.0.0.1'), labels: { app: 'cart', track: 'canary' } });
    const onA = viewDiff(heldA, nodeView(model, 'node-a'));
    assert.deepEqual(onA.upserts, [model.workload('cart')?.resource]);
    assert.deepEqual(onA.removals, []);
    assert.deepEqual(viewDiff(heldB, nodeView(model, 'node-b')).upserts, [], 'other nodes get no labels, so nothing changed for them');
  });

  it('removes, by ResourceKey, the keys that are gone', () => {
    const model = cluster();
    const heldA = fingerprints(nodeView(model, 'node-a'));
    const heldB = fingerprints(nodeView(model, 'node-b'));
    model.setPod('db', undefined);
    model.setService('shop/cart', undefined);
    assert.deepEqual(viewDiff(heldA, nodeView(model, 'node-a')), {
      upserts: [],
      removals: [
        { kind: 'workload', key: 'db' },
        { kind: 'service', key: 'shop/cart' },
      ],
    });
    assert.deepEqual(viewDiff(heldB, nodeView(model, 'node-b')).removals, [
      { kind: 'workload', key: 'db' },
      { kind: 'service', key: 'shop/cart' },
      { kind: 'policy', key: 'data/db-in' },
    ]);
  });

  it('ignores held keys that name no resource kind', () => {
    const view = nodeView(cluster(), 'node-z');
    const held = new Map([...fingerprints(view), ['nonsense', 'x'], ['route:shop/a', 'y']]);
    assert.deepEqual(viewDiff(held, view), { upserts: [], removals: [] });
  });
});
