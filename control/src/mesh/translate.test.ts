/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment, @typescript-eslint/no-misused-spread -- client-node models are data classes written as literals, as in control/src/kube (eslint.config.js) */
// Unit tier: Kubernetes objects (plain literals, as the watches receive them) become facts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Endpoint, V1EndpointSlice, V1Namespace, V1ObjectMeta, V1Pod, V1PodSpec, V1PodStatus, V1Service, V1ServicePort, V1ServiceSpec } from '@kubernetes/client-node';
import { canonicalIp, isEnrolled, namespaceFromK8s, podFromK8s, serviceFromK8s, serviceOf, sliceFromK8s, workloadOf, type NamespaceFacts, type PodFacts, type ServiceFacts, type SliceFacts } from './translate.js';

const created = new Date('2025-01-02T03:04:05Z');

type FullPod = V1Pod & { metadata: V1ObjectMeta; spec: V1PodSpec; status: V1PodStatus };
type FullService = V1Service & { spec: V1ServiceSpec };

/** The object after `change` (for removing a field, which exactOptionalPropertyTypes keeps literals from doing). */
function edited<T>(object: T, change: (object: T) => void): T {
  change(object);
  return object;
}

function pod(parts: { metadata?: V1ObjectMeta; spec?: Partial<V1PodSpec>; status?: V1PodStatus } = {}): FullPod {
  return {
    metadata: { uid: 'uid-cart-0', name: 'cart-0', namespace: 'shop', labels: { app: 'cart' }, creationTimestamp: created, ...parts.metadata },
    spec: { nodeName: 'node-a', serviceAccountName: 'cart', containers: [{ name: 'app' }], ...parts.spec },
    status: parts.status ?? { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] },
  };
}

function service(spec: Partial<V1ServiceSpec>, ports: V1ServicePort[] = [{ name: 'http', port: 80, targetPort: 8080 }]): FullService {
  return { metadata: { name: 'cart', namespace: 'shop' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports, ...spec } };
}

function slice(endpoints: V1Endpoint[], fields: Partial<V1EndpointSlice> = {}): V1EndpointSlice {
  return {
    metadata: { name: 'cart-abcde', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'cart' } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    ...fields,
  };
}

const endpoint = (uid: string, ready?: boolean): V1Endpoint => ({
  addresses: ['10.0.0.5'],
  targetRef: { kind: 'Pod', uid, name: uid, namespace: 'shop' },
  ...(ready === undefined ? {} : { conditions: { ready } }),
});

function podFacts(fields: Partial<PodFacts> = {}): PodFacts {
  return { uid: 'u', name: 'p', namespace: 'shop', serviceAccount: 'default', node: 'node-a', ips: ['10.0.0.5'], labels: {}, terminating: false, createdMs: 0, ...fields };
}

describe('canonicalIp', () => {
  it('keeps dotted IPv4 as it is', () => {
    assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  });

  it('writes IPv6 in RFC 5952 form: lower case, the first longest zero run compressed', () => {
    assert.equal(canonicalIp('FD00::1'), 'fd00::1');
    assert.equal(canonicalIp('fd00:0:0:0:0:0:0:1'), 'fd00::1');
    assert.equal(canonicalIp('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIp('2001:0db8::0001'), '2001:db8::1');
  });

  it('turns an IPv4-mapped IPv6 address into its IPv4', () => {
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalIp('::FFFF:0a00:0001'), '10.0.0.1');
    assert.equal(canonicalIp('::ffff:192.168.255.254'), '192.168.255.254');
  });

  it('rejects what is not an address, and scoped IPv6', () => {
    for (const text of ['', 'cart-0', '10.0.0.256', '10.0.0', 'fe80::1%eth0', '[fd00::1]']) assert.equal(canonicalIp(text), undefined, text);
  });
});

describe('namespaceFromK8s', () => {
  const namespace = (labels?: Record<string, string>): V1Namespace => ({ metadata: { name: 'shop', ...(labels ? { labels } : {}) } });

  it('is enrolled by weft.dev/mesh=enabled only', () => {
    assert.deepEqual(namespaceFromK8s(namespace({ 'weft.dev/mesh': 'enabled' })), { name: 'shop', enrolled: true });
    assert.deepEqual(namespaceFromK8s(namespace({ 'weft.dev/mesh': 'disabled' })), { name: 'shop', enrolled: false });
    assert.deepEqual(namespaceFromK8s(namespace()), { name: 'shop', enrolled: false });
  });

  it('reads weft.dev/mtls-mode in any case, and ignores other values', () => {
    assert.equal(namespaceFromK8s(namespace({ 'weft.dev/mtls-mode': 'STRICT' }))?.mode, 'STRICT');
    assert.equal(namespaceFromK8s(namespace({ 'weft.dev/mtls-mode': 'Permissive' }))?.mode, 'PERMISSIVE');
    assert.deepEqual(namespaceFromK8s(namespace({ 'weft.dev/mtls-mode': 'off' })), { name: 'shop', enrolled: false });
  });

  it('is nothing without a name', () => {
    assert.equal(namespaceFromK8s({ metadata: {} }), undefined);
  });
});

describe('podFromK8s', () => {
  it('turns a running pod with an IP into facts', () => {
    assert.deepEqual(podFromK8s(pod()), {
      uid: 'uid-cart-0',
      name: 'cart-0',
      namespace: 'shop',
      serviceAccount: 'cart',
      node: 'node-a',
      ips: ['10.0.0.5'],
      labels: { app: 'cart' },
      terminating: false,
      createdMs: created.getTime(),
    });
  });

  const notWorkloads: [string, V1Pod][] = [
    ['a Pending pod', pod({ status: { phase: 'Pending', podIP: '10.0.0.5' } })],
    ['a Succeeded pod', pod({ status: { phase: 'Succeeded' } })],
    ['a Failed pod', pod({ status: { phase: 'Failed' } })],
    ['a running pod without an IP', pod({ status: { phase: 'Running' } })],
    ['a running pod whose only IP is unreadable', pod({ status: { phase: 'Running', podIPs: [{ ip: 'fe80::1%eth0' }] } })],
    ['a hostNetwork pod', pod({ spec: { hostNetwork: true } })],
    ['a pod on no node', edited(pod(), (p) => delete p.spec.nodeName)],
    ['a pod without a uid', edited(pod(), (p) => delete p.metadata.uid)],
    ['a pod without a status', edited<V1Pod>(pod(), (p) => delete p.status)],
  ];
  for (const [what, object] of notWorkloads) {
    it(`is nothing for ${what}`, () => assert.equal(podFromK8s(object), undefined));
  }

  it('canonicalises podIPs and drops duplicates, keeping the primary first', () => {
    const facts = podFromK8s(pod({ status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }, { ip: 'FD00::5' }, { ip: '::ffff:10.0.0.5' }, { ip: 'fd00:0::5' }] } }));
    assert.deepEqual(facts?.ips, ['10.0.0.5', 'fd00::5']);
  });

  it('falls back to podIP when podIPs is absent', () => {
    assert.deepEqual(podFromK8s(pod({ status: { phase: 'Running', podIP: 'FD00::7' } }))?.ips, ['fd00::7']);
  });

  it("runs as the 'default' service account when none is named", () => {
    assert.equal(podFromK8s(edited(pod(), (p) => delete p.spec.serviceAccountName))?.serviceAccount, 'default');
    assert.equal(podFromK8s(pod({ spec: { serviceAccountName: '' } }))?.serviceAccount, 'default');
  });

  it("keeps the pod's own weft.dev/mesh label when it is enabled or disabled", () => {
    assert.equal(podFromK8s(pod({ metadata: { labels: { 'weft.dev/mesh': 'enabled' } } }))?.enrollment, 'enabled');
    assert.equal(podFromK8s(pod({ metadata: { labels: { 'weft.dev/mesh': 'disabled' } } }))?.enrollment, 'disabled');
    assert.equal(Object.hasOwn(podFromK8s(pod({ metadata: { labels: { 'weft.dev/mesh': 'yes' } } })) ?? {}, 'enrollment'), false);
  });

  it('reads weft.dev/mtls-mode in any case', () => {
    assert.equal(podFromK8s(pod({ metadata: { labels: { 'weft.dev/mtls-mode': 'strict' } } }))?.mode, 'STRICT');
    assert.equal(podFromK8s(pod({ metadata: { labels: { 'weft.dev/mtls-mode': 'PERMISSIVE' } } }))?.mode, 'PERMISSIVE');
    assert.equal(Object.hasOwn(podFromK8s(pod()) ?? {}, 'mode'), false);
  });

  it('is terminating once it has a deletionTimestamp', () => {
    assert.equal(podFromK8s(pod({ metadata: { deletionTimestamp: new Date() } }))?.terminating, true);
  });

  it('reads timestamps given as RFC 3339 text too, as watch events carry them', () => {
    const fromWatch = edited(pod(), (p) => Object.assign(p.metadata, { creationTimestamp: '2025-01-02T03:04:05Z', deletionTimestamp: '2025-01-02T04:00:00Z' }));
    assert.deepEqual([podFromK8s(fromWatch)?.createdMs, podFromK8s(fromWatch)?.terminating], [created.getTime(), true]);
  });

  it('copies the labels rather than sharing them with the Kubernetes object', () => {
    const object = pod();
    const facts = podFromK8s(object);
    const labels = object.metadata.labels;
    if (labels) labels.app = 'changed';
    assert.deepEqual(facts?.labels, { app: 'cart' });
  });
});

describe('isEnrolled', () => {
  const enrolled: NamespaceFacts = { name: 'shop', enrolled: true };
  const plain: NamespaceFacts = { name: 'shop', enrolled: false };

  it("follows the namespace's label", () => {
    assert.equal(isEnrolled(podFacts(), enrolled, 'weft-system'), true);
    assert.equal(isEnrolled(podFacts(), plain, 'weft-system'), false);
    assert.equal(isEnrolled(podFacts(), undefined, 'weft-system'), false);
  });

  it("lets the pod's own label override its namespace either way", () => {
    assert.equal(isEnrolled(podFacts({ enrollment: 'disabled' }), enrolled, 'weft-system'), false);
    assert.equal(isEnrolled(podFacts({ enrollment: 'enabled' }), plain, 'weft-system'), true);
    assert.equal(isEnrolled(podFacts({ enrollment: 'enabled' }), undefined, 'weft-system'), true);
  });

  it("never enrolls the mesh's own pods", () => {
    const meshPod = podFacts({ namespace: 'weft-system', enrollment: 'enabled' });
    assert.equal(isEnrolled(meshPod, { name: 'weft-system', enrolled: true }, 'weft-system'), false);
  });
});

describe('serviceFromK8s', () => {
  it('keeps canonical VIPs and the TCP ports, the target port defaulting to the port', () => {
    const facts = serviceFromK8s(
      service({ clusterIPs: ['10.96.0.10', 'FD00:96::A'] }, [
        { name: 'web', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9000 },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'sig', port: 3868, protocol: 'SCTP' },
        { name: 'grpc-api', port: 9090, targetPort: 19090, protocol: 'TCP' },
      ]),
    );
    assert.deepEqual(facts, {
      name: 'cart',
      namespace: 'shop',
      vips: ['10.96.0.10', 'fd00:96::a'],
      ports: [
        { name: 'web', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9000, targetPort: 9000 },
        { name: 'grpc-api', port: 9090, targetPort: 19090, appProtocol: 'grpc' },
      ],
    });
  });

  it('uses clusterIP when clusterIPs is absent', () => {
    assert.deepEqual(serviceFromK8s(edited(service({ clusterIP: '10.96.0.11' }), (s) => delete s.spec.clusterIPs))?.vips, ['10.96.0.11']);
  });

  it('is nothing for a headless, ExternalName, UDP-only or port-less service', () => {
    assert.equal(serviceFromK8s(service({ clusterIP: 'None', clusterIPs: ['None'] })), undefined, 'headless');
    assert.equal(serviceFromK8s(edited(service({ clusterIP: 'None' }), (s) => delete s.spec.clusterIPs)), undefined, 'headless, clusterIP only');
    assert.equal(serviceFromK8s(service({ type: 'ExternalName', externalName: 'db.example.com' })), undefined, 'ExternalName');
    assert.equal(serviceFromK8s(service({}, [{ name: 'dns', port: 53, protocol: 'UDP' }])), undefined, 'UDP only');
    assert.equal(serviceFromK8s(service({}, [])), undefined, 'no ports');
    assert.equal(serviceFromK8s({ metadata: { name: 'cart', namespace: 'shop' } }), undefined, 'no spec');
  });

  it("takes the protocol hint from appProtocol, else from the port name's prefix", () => {
    const hint = (port: Partial<V1ServicePort>): string | undefined => serviceFromK8s(service({}, [{ port: 80, ...port }]))?.ports[0]?.appProtocol;
    assert.equal(hint({ appProtocol: 'HTTP' }), 'http');
    assert.equal(hint({ appProtocol: 'kubernetes.io/h2c' }), 'http2');
    assert.equal(hint({ appProtocol: 'grpc' }), 'grpc');
    assert.equal(hint({ name: 'http-web' }), 'http');
    assert.equal(hint({ name: 'grpc-x' }), 'grpc');
    assert.equal(hint({ name: 'http2' }), 'http2');
    assert.equal(hint({ name: 'h2c-api' }), 'http2');
    assert.equal(hint({ name: 'tcp-db' }), 'tcp');
    assert.equal(hint({ name: 'web' }), undefined);
    assert.equal(hint({}), undefined);
    assert.equal(hint({ name: 'http-web', appProtocol: 'tcp' }), 'tcp', 'appProtocol wins over the name');
    assert.equal(hint({ name: 'http-web', appProtocol: 'kubernetes.io/ws' }), undefined, 'an unknown appProtocol is no hint');
  });

  it('gives no hint for a port named like an Object.prototype member', () => {
    // "constructor" is a valid port name and must not find Object.prototype's constructor.
    const facts = serviceFromK8s(service({}, [{ name: 'constructor', port: 80 }, { name: 'web', port: 81, appProtocol: 'constructor' }]));
    assert.equal(facts?.ports[0]?.appProtocol, undefined);
    assert.equal(facts?.ports[1]?.appProtocol, undefined);
  });
});

describe('sliceFromK8s', () => {
  it("names its service and keeps every endpoint, not-ready ones as not ready", () => {
    const facts = sliceFromK8s(
      slice([endpoint('u1'), endpoint('u2', false), endpoint('u3', true), { addresses: ['10.0.0.9'] }, { addresses: ['10.0.0.8'], targetRef: { kind: 'Node', uid: 'n1' } }], {
        ports: [{ name: 'http', port: 8080 }, { port: 9090, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'any' }],
      }),
    );
    assert.deepEqual(facts, {
      service: 'shop/cart',
      endpoints: [{ podUid: 'u1', ready: true }, { podUid: 'u2', ready: false }, { podUid: 'u3', ready: true }, { ready: true }, { ready: true }],
      ports: new Map([['http', 8080], ['', 9090]]),
    });
  });

  it('ignores FQDN slices and slices of no service', () => {
    assert.equal(sliceFromK8s(slice([endpoint('u1')], { addressType: 'FQDN' })), undefined);
    assert.equal(sliceFromK8s(slice([endpoint('u1')], { metadata: { name: 'x', namespace: 'shop' } })), undefined);
  });

  it('reads a slice of a service with no pods, whose endpoints the API server sends as null', () => {
    // kubernetes/kubernetes#135968: a service scaled to zero has "endpoints": null, "ports": null.
    const empty = Object.assign(slice([]), { endpoints: null, ports: null });
    assert.deepEqual(sliceFromK8s(empty), { service: 'shop/cart', endpoints: [], ports: new Map() });
  });
});

describe('serviceOf', () => {
  const facts: ServiceFacts = { name: 'cart', namespace: 'shop', vips: ['10.96.0.10'], ports: [{ name: 'http', port: 80, targetPort: 'http', appProtocol: 'http' }] };
  const sliceFacts = (endpoints: SliceFacts['endpoints'], ports: [string, number][] = [['http', 8080]]): SliceFacts => ({ service: 'shop/cart', endpoints, ports: new Map(ports) });
  const workloads = new Set(['u1', 'u2', 'u3']);
  const isWorkload = (uid: string): boolean => workloads.has(uid);

  it('lists the ready endpoints of every slice once, sorted, and resolves the named target port', () => {
    const served = serviceOf(facts, [sliceFacts([{ podUid: 'u3', ready: true }, { podUid: 'u1', ready: true }]), sliceFacts([{ podUid: 'u1', ready: true }, { podUid: 'u2', ready: false }])], isWorkload);
    assert.deepEqual(served, { name: 'cart', namespace: 'shop', vips: ['10.96.0.10'], ports: [{ name: 'http', port: 80, targetPort: 8080, appProtocol: 'http' }], endpoints: ['u1', 'u3'] });
  });

  it('is nothing when an endpoint is not a pod, or not a pod the mesh has as a workload', () => {
    assert.equal(serviceOf(facts, [sliceFacts([{ podUid: 'u1', ready: true }, { ready: true }])], isWorkload), undefined);
    assert.equal(serviceOf(facts, [sliceFacts([{ podUid: 'u1', ready: true }]), sliceFacts([{ podUid: 'stranger', ready: true }])], isWorkload), undefined);
  });

  it('still serves a service while one of its pods is starting (listed not ready, not yet a workload)', () => {
    // A pod still starting is listed not ready before it is a workload: no reason to leave the mesh.
    const served = serviceOf(facts, [sliceFacts([{ podUid: 'u1', ready: true }, { podUid: 'starting', ready: false }])], isWorkload);
    assert.deepEqual(served?.endpoints, ['u1']);
  });

  it('drops a named target port no slice names, and keeps a numeric one', () => {
    const two: ServiceFacts = { ...facts, ports: [{ name: 'metrics', port: 9100, targetPort: 'metrics' }, { name: 'admin', port: 9000, targetPort: 19000 }] };
    const served = serviceOf(two, [sliceFacts([{ podUid: 'u1', ready: true }])], isWorkload);
    assert.deepEqual(served?.ports, [{ name: 'admin', port: 9000, targetPort: 19000 }]);
  });

  it('serves a service with no slices yet on its numeric ports, with no endpoints', () => {
    const numeric: ServiceFacts = { ...facts, ports: [{ port: 80, targetPort: 8080 }] };
    assert.deepEqual(serviceOf(numeric, [], isWorkload), { name: 'cart', namespace: 'shop', vips: ['10.96.0.10'], ports: [{ port: 80, targetPort: 8080 }], endpoints: [] });
  });

  it('is nothing when no port is left to reach', () => {
    assert.equal(serviceOf(facts, [], isWorkload), undefined);
    assert.equal(serviceOf(facts, [sliceFacts([{ podUid: 'u1', ready: true }], [['other', 1]])], isWorkload), undefined);
  });

  it('resolves an unnamed port through the slice port with no name', () => {
    const unnamed: ServiceFacts = { ...facts, ports: [{ port: 80, targetPort: 'web' }] };
    assert.deepEqual(serviceOf(unnamed, [sliceFacts([{ podUid: 'u1', ready: true }], [['', 8081]])], isWorkload)?.ports, [{ port: 80, targetPort: 8081 }]);
  });
});

describe('workloadOf (the traffic map groups pods by what runs them)', () => {
  const owned = (kind: string, name: string, hash?: string): V1Pod =>
    pod({ metadata: { uid: 'u', name: 'p', namespace: 'shop', ...(hash ? { labels: { 'pod-template-hash': hash } } : {}), ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid: 'o', controller: true }] } });

  it('names a ReplicaSet’s pods by their Deployment, other owners by their own name, and a bare pod by nothing', () => {
    assert.equal(workloadOf(owned('ReplicaSet', 'server-57bd4c7f5c', '57bd4c7f5c')), 'server');
    assert.equal(workloadOf(owned('ReplicaSet', 'standalone-rs')), 'standalone-rs', 'a ReplicaSet of no Deployment keeps its name');
    assert.equal(workloadOf(owned('StatefulSet', 'db')), 'db');
    assert.equal(workloadOf(pod()), undefined);
    assert.equal(podFromK8s(owned('DaemonSet', 'agent'))?.workload, 'agent');
  });
});
