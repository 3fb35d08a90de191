// Tier 1 (unit): the config stream end to end over real gRPC and TLS on port 0 — the
// control plane's MeshConfig service and distributor, the agent's ConfigClient. Only the
// token reviewer is a stand-in (the real TokenReview path runs in the e2e tier).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, Metadata, type Server, type ServiceError } from '@grpc/grpc-js';
import { ConfigClient, type MeshSnapshot } from '@weft/agent';
import { createLogger, meshWire } from '@weft/api';
import {
  AgentAuthenticator,
  ConfigDistributor,
  generateTrustAnchor,
  issueServingIdentity,
  meshConfigService,
  MeshModel,
  startGrpcServer,
  stopGrpcServer,
  type PodFacts,
  type TrustAnchor,
} from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';

const log = createLogger({ component: 'config-stream-test', level: 'error' });
const serverName = 'weft-control.weft-system.svc';
const agentUser = 'system:serviceaccount:weft-system:weft-agent';
const tokens: Record<string, { authenticated: boolean; username?: string; nodeName?: string }> = {
  'node1-agent': { authenticated: true, username: agentUser, nodeName: 'node1' },
  'node2-agent': { authenticated: true, username: agentUser, nodeName: 'node2' },
  'someone-else': { authenticated: true, username: 'system:serviceaccount:shop:cart', nodeName: 'node1' },
  unbound: { authenticated: true, username: agentUser },
};

function pod(name: string, node: string, ip: string, labels: Record<string, string> = {}): PodFacts {
  return { uid: `uid-${name}`, name, namespace: 'shop', serviceAccount: name, node, ips: [ip], labels, terminating: false, createdMs: 1 };
}

/** Resolves when `check` is true of the client's latest snapshot. */
async function until(applied: MeshSnapshot[], check: (s: MeshSnapshot) => boolean, what: string): Promise<MeshSnapshot> {
  for (let i = 0; i < 200; i++) {
    const last = applied.at(-1);
    if (last && check(last)) return last;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}; last snapshot ${JSON.stringify(applied.at(-1)?.workloads.map((w) => [w.name, w.enrolled]))}`);
}

interface ControlPlane {
  server: Server;
  port: number;
  model: MeshModel;
  service: ReturnType<typeof meshConfigService>;
  /** Every ACK the distributor saw: whether the update was a full snapshot. */
  acks: { node: string; full: boolean }[];
}

async function startControlPlane(anchor: TrustAnchor, port = 0): Promise<ControlPlane> {
  const model = new MeshModel({ settings: { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY' }, meshNamespace: 'weft-system' });
  const agents = new AgentAuthenticator({ reviewer: { review: (token) => Promise.resolve(tokens[token] ?? { authenticated: false, error: 'token expired' }) }, agent: { namespace: 'weft-system', name: 'weft-agent' } });
  const acks: ControlPlane['acks'] = [];
  const distributor = new ConfigDistributor({ model, log, events: { acked: (e) => acks.push({ node: e.node, full: e.full }), nacked: () => undefined, streams: () => undefined } });
  distributor.start();
  const service = meshConfigService({ agents, distributor, log });
  const serving = await issueServingIdentity(anchor, { dns: [serverName] });
  const started = await startGrpcServer({ host: '127.0.0.1', port, serving, authority: trustingAuthority({ anchor }), meshConfig: service });
  return { ...started, model, service, acks };
}

describe('the config stream over gRPC (control plane ↔ agent)', () => {
  let anchor: TrustAnchor;
  let control: ControlPlane;
  const clients: ConfigClient[] = [];

  const client = (token: string, apply: (s: MeshSnapshot) => Promise<void>): ConfigClient => {
    const c = new ConfigClient({
      address: `127.0.0.1:${control.port}`,
      serverName,
      trustBundlePem: anchor.root.certificate.toString('pem'),
      token: () => Promise.resolve(token),
      apply,
      log,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    clients.push(c);
    c.start();
    return c;
  };

  /** One raw stream: what the control plane answers a caller that is not a well-behaved agent. */
  const rawStream = (token: string, first?: meshWire.AgentMessage): Promise<ServiceError> => {
    const raw = new meshWire.MeshConfigClient(`127.0.0.1:${control.port}`, credentials.createSsl(Buffer.from(anchor.root.certificate.toString('pem'))), { 'grpc.ssl_target_name_override': serverName });
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const call = raw.stream(metadata);
    if (first) call.write(first);
    call.on('data', () => undefined);
    return new Promise((resolve) =>
      call.on('error', (error: ServiceError) => {
        raw.close();
        resolve(error);
      }),
    );
  };

  before(async () => {
    anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    control = await startControlPlane(anchor);
    control.model.setNamespace('shop', { name: 'shop', enrolled: true });
    control.model.setPod('uid-a', pod('a', 'node1', '198.19.1.2', { app: 'client' }));
    control.model.setPod('uid-b', pod('b', 'node2', '198.19.2.2', { app: 'server' }));
  });

  // Each test's agents end with it: a client left running would answer the next test's streams too.
  afterEach(() => {
    for (const c of clients.splice(0)) c.stop();
  });

  after(async () => {
    for (const c of clients) c.stop();
    control.service.closeAll();
    await stopGrpcServer(control.server, 100);
  });

  it('gives each agent its node’s view, then changes as they happen', async () => {
    const node1: MeshSnapshot[] = [];
    const node2: MeshSnapshot[] = [];
    const c1 = client('node1-agent', (s) => Promise.resolve(void node1.push(s)));
    client('node2-agent', (s) => Promise.resolve(void node2.push(s)));
    const first = await until(node1, (s) => s.workloads.length === 2, 'node1 snapshot');
    assert.deepEqual(first.workloads.find((w) => w.name === 'a')?.labels, { app: 'client' }, 'its own workload comes with labels');
    assert.deepEqual(first.workloads.find((w) => w.name === 'b')?.labels, {}, 'another node’s workload comes without');
    await until(node2, (s) => s.workloads.find((w) => w.name === 'b')?.labels.app === 'server', 'node2 snapshot');

    control.model.setNamespace('shop', { name: 'shop', enrolled: false });
    await until(node1, (s) => s.workloads.length === 0, 'unenrolled namespace leaves node1 with nothing');
    control.model.setNamespace('shop', { name: 'shop', enrolled: true });
    await until(node1, (s) => s.workloads.every((w) => w.enrolled) && s.workloads.length === 2, 'enrolled again');
    assert.equal(c1.status().connected, true);
    assert.equal(c1.status().refused, 0);
  });

  it('refuses an update whole when the agent cannot take it, and recovers with a full snapshot', async () => {
    const applied: MeshSnapshot[] = [];
    let refuse = false;
    const c = client('node1-agent', (s) => {
      if (refuse) return Promise.reject(new Error('WEFT_STATE_INVALID: simulated refusal'));
      applied.push(s);
      return Promise.resolve();
    });
    await until(applied, (s) => s.workloads.length === 2, 'first snapshot');
    refuse = true;
    control.model.setPod('uid-c', pod('c', 'node1', '198.19.1.3'));
    // The refused delta is followed at once by a full snapshot, refused too; then nothing
    // is sent until the mesh changes (the same content would be refused again).
    for (let i = 0; i < 100 && c.status().refused < 2; i++) await sleep(10);
    assert.equal(c.status().refused, 2, 'the delta and the full snapshot after it were refused');
    assert.equal(applied.at(-1)?.workloads.length, 2, 'the agent kept what it had');
    const appliedBefore = applied.length;
    refuse = false;
    control.model.setPod('uid-d', pod('d', 'node1', '198.19.1.4'));
    const after = await until(applied, (s) => s.workloads.length === 4, 'a full snapshot with both new pods');
    assert.deepEqual(after.workloads.map((w) => w.name).sort(), ['a', 'b', 'c', 'd']);
    // The stream is ordered: anything sent again between the refusals and this change
    // (the content refused, now taken) would have arrived before it.
    assert.equal(applied.length, appliedBefore + 1, 'nothing was sent again until the mesh changed');
    assert.equal(c.status().refused, 2);
    control.model.setPod('uid-c', undefined);
    control.model.setPod('uid-d', undefined);
    await until(applied, (s) => s.workloads.length === 2, 'pods deleted');
  });

  it('resumes with a delta when its stream breaks and the same control plane is still there', async () => {
    const applied: MeshSnapshot[] = [];
    const acksStart = control.acks.length;
    const c = client('node2-agent', (s) => Promise.resolve(void applied.push(s)));
    await until(applied, (s) => s.workloads.length >= 2, 'first snapshot');
    // The control plane resumes only from a version whose ACK it got: a stream cut between apply and ACK earns a full snapshot.
    for (let i = 0; i < 200 && control.acks.slice(acksStart).filter((a) => a.node === 'node2').length < applied.length; i++) await sleep(10);
    const versionBefore = c.status().version;
    const acksBefore = control.acks.length;
    control.service.closeAll(); // ends every stream; the server and what it knows stay
    control.model.setPod('uid-f', pod('f', 'node2', '198.19.2.9'));
    try {
      const after = await until(applied, (s) => s.workloads.some((w) => w.name === 'f'), 'the change made while it was away');
      assert.notEqual(after.version, versionBefore);
      // The agent applies, then ACKs: wait for the ACKs to reach the control plane.
      const fromNode2 = (): { node: string; full: boolean }[] => control.acks.slice(acksBefore).filter((a) => a.node === 'node2');
      for (let i = 0; i < 100 && fromNode2().length < 2; i++) await sleep(10);
      const resumed = fromNode2();
      assert.ok(resumed.length > 0 && resumed.every((a) => !a.full), `no full snapshot was needed: it resumed from ${versionBefore} (${JSON.stringify(resumed)})`);
    } finally {
      // Pod f is gone even when an assertion failed: the next test counts workloads.
      control.model.setPod('uid-f', undefined);
    }
    await until(applied, (s) => !s.workloads.some((w) => w.name === 'f'), 'pod f deleted');
  });

  it('resumes after the control plane restarts, and the agent serves its last state meanwhile', async () => {
    const applied: MeshSnapshot[] = [];
    const c = client('node1-agent', (s) => Promise.resolve(void applied.push(s)));
    await until(applied, (s) => s.workloads.length === 2, 'first snapshot');
    const { port } = control;
    control.service.closeAll();
    await stopGrpcServer(control.server, 100);
    for (let i = 0; i < 100 && c.status().connected; i++) await sleep(10);
    assert.equal(c.status().connected, false, 'the client saw the control plane go');
    assert.equal(applied.at(-1)?.workloads.length, 2, 'it still holds the last state');
    const versionBefore = c.status().version;

    control = await startControlPlane(anchor, port);
    control.model.setNamespace('shop', { name: 'shop', enrolled: true });
    control.model.setPod('uid-a', pod('a', 'node1', '198.19.1.2', { app: 'client' }));
    control.model.setPod('uid-b', pod('b', 'node2', '198.19.2.2', { app: 'server' }));
    control.model.setPod('uid-e', pod('e', 'node2', '198.19.2.3'));
    const resynced = await until(applied, (s) => s.workloads.length === 3, 'resync with the new control plane');
    assert.notEqual(resynced.version, versionBefore);
    assert.equal(c.status().connected, true);
    control.model.setPod('uid-e', undefined);
  });

  it('refuses callers that are not agents, with the status code that says why', async () => {
    const none = await rawStream('', { subscribe: { version: '' } });
    assert.equal(none.code, 16, `no token: UNAUTHENTICATED (${none.details})`);
    assert.match(none.details, /WEFT_AUTH_NO_TOKEN/);
    const forged = await rawStream('forged', { subscribe: { version: '' } });
    assert.equal(forged.code, 16);
    assert.match(forged.details, /WEFT_AUTH_TOKEN_INVALID/);
    const other = await rawStream('someone-else', { subscribe: { version: '' } });
    assert.equal(other.code, 7, 'another ServiceAccount: PERMISSION_DENIED');
    assert.match(other.details, /WEFT_AUTH_NOT_AGENT/);
    const unbound = await rawStream('unbound', { subscribe: { version: '' } });
    assert.equal(unbound.code, 7);
    assert.match(unbound.details, /WEFT_AUTH_NO_NODE/);
    const rude = await rawStream('node1-agent', { ack: { version: 'x', error: '' } });
    assert.equal(rude.code, 3, 'an Ack before Subscribe: INVALID_ARGUMENT');
    assert.match(rude.details, /WEFT_MESH_PROTOCOL/);
  });
});
