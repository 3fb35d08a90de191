import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, isWeftError } from '@weft/api';
import { InvalidSnapshotError, MeshState, type MeshChange } from './mesh-state.js';
import type { AuthorizationPolicy, MeshSnapshot, Service, Workload } from './mesh-types.js';

function workload(uid: string, fields: Partial<Workload> = {}): Workload {
  return { uid, name: uid, namespace: 'shop', serviceAccount: 'default', node: 'node-a', ips: [], labels: {}, enrolled: true, ...fields };
}

function snapshot(fields: Partial<MeshSnapshot> = {}): MeshSnapshot {
  return {
    version: 'v1',
    settings: { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY', namespaceModes: {} },
    workloads: [
      workload('cart-0', { ips: ['10.0.0.1', 'fd00::1'], labels: { app: 'cart' } }),
      workload('cart-1', { ips: ['10.0.0.2'], labels: { app: 'cart', track: 'canary' }, node: 'node-b', enrolled: false }),
      workload('db-0', { namespace: 'data', ips: ['10.0.1.1'], mode: 'STRICT' }),
    ],
    services: [
      {
        name: 'cart',
        namespace: 'shop',
        vips: ['10.96.0.10', 'fd00:96::10'],
        ports: [{ name: 'http', port: 80, targetPort: 8080, appProtocol: 'http' }, { port: 443, targetPort: 8443 }],
        endpoints: ['cart-0', 'cart-1', 'gone-7'],
      },
    ],
    policies: [],
    ...fields,
  };
}

function policy(name: string, fields: Partial<AuthorizationPolicy> = {}): AuthorizationPolicy {
  return { name, namespace: 'shop', action: 'ALLOW', rules: [{}], ...fields };
}

function quietState(): { state: MeshState; lines: string[] } {
  const lines: string[] = [];
  return { state: new MeshState({ log: createLogger({ component: 'test', write: (line) => lines.push(line) }) }), lines };
}

describe('MeshState', () => {
  it('starts empty with default settings', () => {
    const { state } = quietState();
    assert.equal(state.version, '');
    assert.equal(state.settings.defaultMode, 'PERMISSIVE');
    assert.equal(state.workloadByIp('10.0.0.1'), undefined);
    assert.deepEqual(state.workloadsOnNode('node-a'), []);
  });

  it('finds workloads by uid, by any text of their IPs, and by node', () => {
    const { state } = quietState();
    state.replace(snapshot());
    assert.equal(state.version, 'v1');
    assert.equal(state.workloadByUid('cart-1')?.ips[0], '10.0.0.2');
    assert.equal(state.workloadByIp('10.0.0.1')?.uid, 'cart-0');
    assert.equal(state.workloadByIp('::ffff:10.0.0.1')?.uid, 'cart-0', 'IPv4-mapped IPv6 is the IPv4');
    assert.equal(state.workloadByIp('FD00:0::1')?.uid, 'cart-0');
    assert.equal(state.workloadByIp('10.0.0.9'), undefined);
    assert.equal(state.workloadByIp('not an ip'), undefined);
    assert.deepEqual(state.workloadsOnNode('node-a').map((w) => w.uid), ['cart-0', 'db-0']);
    assert.deepEqual(state.workloadsOnNode('node-z'), []);
  });

  it('finds a service by VIP and service port, with its known endpoints enrolled or not', () => {
    const { state } = quietState();
    state.replace(snapshot());
    const found = state.serviceByVip('10.96.0.10', 80);
    assert.equal(found?.service.name, 'cart');
    assert.equal(found.port.targetPort, 8080);
    assert.equal(state.serviceByVip('::ffff:10.96.0.10', 443)?.port.targetPort, 8443);
    assert.equal(state.serviceByVip('fd00:96:0::10', 80)?.service.name, 'cart');
    assert.equal(state.serviceByVip('10.96.0.10', 8080), undefined, 'a target port is not a service port');
    assert.deepEqual(state.endpointsOf(found.service).map((w) => w.uid), ['cart-0', 'cart-1'], 'unknown uid gone-7 is left out');
  });

  it('resolves a service object from an earlier snapshot against the current workloads', () => {
    const { state } = quietState();
    state.replace(snapshot());
    const old = state.serviceByVip('10.96.0.10', 80)?.service;
    assert.ok(old);
    state.replace(snapshot({ version: 'v2', workloads: [workload('cart-1', { ips: ['10.0.0.2'] })] }));
    assert.deepEqual(state.endpointsOf(old).map((w) => w.uid), ['cart-1']);
  });

  it('takes the mode from the workload, else its namespace, else the default', () => {
    const { state } = quietState();
    const base = snapshot();
    state.replace({ ...base, settings: { ...base.settings, namespaceModes: { shop: 'STRICT' } } });
    const modeOf = (uid: string): string | undefined => {
      const found = state.workloadByUid(uid);
      return found && state.modeOf(found);
    };
    assert.equal(modeOf('cart-0'), 'STRICT', 'namespace');
    assert.equal(modeOf('db-0'), 'STRICT', 'workload');
    state.replace({ ...base, version: 'v2', workloads: [workload('x', { namespace: 'constructor' }), workload('y', { namespace: 'data', mode: 'PERMISSIVE' })] });
    assert.equal(modeOf('x'), 'PERMISSIVE', 'default; a namespace named like an Object method is no override');
    assert.equal(modeOf('y'), 'PERMISSIVE');
  });

  it('gives the policies of the namespace whose selector the workload matches', () => {
    const { state } = quietState();
    state.replace(
      snapshot({
        policies: [
          policy('all-of-shop'),
          policy('cart-only', { selector: { app: 'cart' } }),
          policy('canary-only', { selector: { app: 'cart', track: 'canary' } }),
          policy('other-namespace', { namespace: 'data' }),
          policy('proto', { selector: { constructor: 'x' } }),
        ],
      }),
    );
    const names = (uid: string): string[] => {
      const found = state.workloadByUid(uid);
      return found ? state.policiesFor(found).map((p) => p.name) : [];
    };
    assert.deepEqual(names('cart-0'), ['all-of-shop', 'cart-only']);
    assert.deepEqual(names('cart-1'), ['all-of-shop', 'cart-only', 'canary-only']);
    assert.deepEqual(names('db-0'), ['other-namespace']);
    const cart = state.workloadByUid('cart-0');
    assert.ok(cart);
    assert.equal(state.policiesFor(cart), state.policiesFor(cart), 'remembered per snapshot');
  });

  it('refuses a snapshot with every problem listed and keeps the previous one', () => {
    const { state } = quietState();
    state.replace(snapshot());
    const bad = snapshot({
      version: 'v2',
      settings: { trustDomain: 'Cluster.Local', defaultMode: 'strict' as 'STRICT', outboundPolicy: 'ALLOW_ANY', namespaceModes: { shop: 'OFF' as 'STRICT' } },
      workloads: [workload('a', { ips: ['10.0.0.1'] }), workload('a', { ips: ['10.0.0.2'] }), workload('b', { ips: ['10.0.0.1', 'FD00::1', '10.0.0.300'] })],
      services: [
        { name: 'one', namespace: 'shop', vips: ['10.96.0.1'], ports: [{ port: 80, targetPort: 0 }], endpoints: ['nobody'] },
        { name: 'two', namespace: 'shop', vips: ['10.96.0.1'], ports: [{ port: 80, targetPort: 80 }], endpoints: [] },
      ],
    });
    let refusal: unknown;
    assert.throws(
      () => state.replace(bad),
      (error) => ((refusal = error), true),
    );
    assert.ok(refusal instanceof InvalidSnapshotError);
    assert.ok(isWeftError(refusal, 'WEFT_STATE_INVALID'));
    assert.deepEqual(refusal.problems, [
      'settings.trustDomain: "Cluster.Local" is not a trust domain (a lower-case DNS name such as cluster.local)',
      'settings.defaultMode: "strict" is not one of STRICT, PERMISSIVE',
      'settings.namespaceModes["shop"]: "OFF" is not one of STRICT, PERMISSIVE',
      'workloads[1].uid: "a" is also the uid of workloads[0]',
      'workloads[2].ips[0]: 10.0.0.1 is also an IP of workload "a" (workloads[0])',
      'workloads[2].ips[1]: "FD00::1" is not in canonical form (fd00::1)',
      'workloads[2].ips[2]: "10.0.0.300" is not an IP address',
      'services[0].ports[0].targetPort: 0 is not a port (1-65535)',
      'services[1].vips[0]: 10.96.0.1 port 80 is also served by services[0].vips[0]',
    ]);
    assert.match(refusal.message, /mesh snapshot "v2" was refused, 9 problem\(s\)/);
    assert.equal(state.version, 'v1');
    assert.equal(state.workloadByIp('10.0.0.1')?.uid, 'cart-0');
  });

  it('refuses an empty version and duplicate services and policies', () => {
    const { state } = quietState();
    const service: Service = { name: 's', namespace: 'shop', vips: [], ports: [], endpoints: [] };
    assert.throws(
      () => state.replace(snapshot({ version: '', services: [service, service], policies: [policy('p'), policy('p', { action: 'DENY' })] })),
      (error) =>
        error instanceof InvalidSnapshotError &&
        error.problems.join('\n') ===
          ['version: is empty', 'services[1]: service shop/s is also declared at services[0]', 'policies[1]: policy shop/p is also declared at policies[0]'].join('\n'),
    );
  });

  it('keeps its own frozen copy of the snapshot', () => {
    const { state } = quietState();
    const given = snapshot();
    state.replace(given);
    given.workloads.length = 0;
    const cart = state.workloadByUid('cart-0');
    assert.ok(cart);
    assert.notEqual(cart, given.workloads[0]);
    assert.throws(() => {
      cart.ips.push('10.9.9.9');
    }, TypeError);
    assert.ok(Object.isFrozen(state.settings));
  });

  it('tells listeners after each accepted snapshot, survives a failing one, and unsubscribes', () => {
    const { state, lines } = quietState();
    const heard: MeshChange[] = [];
    const stop = state.onChange((change) => heard.push(change));
    state.onChange(() => {
      throw new Error('listener bug');
    });
    const late: string[] = [];
    state.onChange(() => late.push(state.version));
    state.replace(snapshot());
    assert.throws(() => state.replace(snapshot({ version: '' })), InvalidSnapshotError);
    state.replace(snapshot({ version: 'v2' }));
    stop();
    stop();
    state.replace(snapshot({ version: 'v3' }));
    assert.deepEqual(heard, [
      { version: 'v1', previousVersion: '' },
      { version: 'v2', previousVersion: 'v1' },
    ]);
    assert.deepEqual(late, ['v1', 'v2', 'v3'], 'a failing listener does not keep later ones from hearing');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /a mesh change listener failed.*listener bug/);
  });
});
