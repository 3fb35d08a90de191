// Tier 2 (privileged): the data path between two emulated nodes. Real eBPF capture, two
// agents (one per node, each with its own cgroup and pins), pods as network namespaces
// routed through their nodes, apps as real processes, the real CA code signing their
// certificates. Needs root; fails (never skips) without it.
//
//   pod A 198.19.1.2 ─┐                         ┌─ pod B 198.19.2.2 (server; VIP 198.18.10.10)
//   pod D 198.19.3.2 ─┤ node1 198.18.0.11 ══ node2 198.18.0.12 ├─ pod C 198.19.4.2 (not in the mesh)
import assert from 'node:assert/strict';
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Server } from 'node:http';
import { createLogger } from '@weft/api';
import { Agent, createWorkloadKey, startAdminServer, type CertificateSigner, type MeshSnapshot, type Workload } from '@weft/agent';
import { NetnsLab, captureObjectPath } from '@weft/agent/testing';
import { generateTrustAnchor, SpiffeId, WorkloadIssuer, type TrustAnchor } from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';

const execFileAsync = promisify(execFile);
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const trustDomain = 'cluster.local';
const vip = '198.18.10.10';
const log = createLogger({ component: 'test-agent', level: 'warn' });

interface Topology {
  n1: string;
  n2: string;
  pods: Record<'a' | 'b' | 'c' | 'd', string>;
}

/** Nodes joined by one link ("the wire" the packet capture watches), each pod on its own /24. */
function buildTopology(lab: NetnsLab): Topology {
  const n1 = lab.addNamespace('n1');
  const n2 = lab.addNamespace('n2');
  lab.link({ netnsPath: n1, device: 'fab0', cidr: '198.18.0.11/24' }, { netnsPath: n2, device: 'fab0', cidr: '198.18.0.12/24' });
  for (const node of [n1, n2]) lab.sysctl(node, 'net.ipv4.ip_forward', '1');
  const pods = { a: lab.addNamespace('pa'), b: lab.addNamespace('pb'), c: lab.addNamespace('pc'), d: lab.addNamespace('pd') };
  const place = { a: [n1, 1], d: [n1, 3], b: [n2, 2], c: [n2, 4] } as const;
  for (const [name, [node, subnet]] of Object.entries(place) as [keyof typeof place, (typeof place)[keyof typeof place]][]) {
    lab.link({ netnsPath: node, device: `to-${name}`, cidr: `198.19.${subnet}.1/24` }, { netnsPath: pods[name], device: 'eth0', cidr: `198.19.${subnet}.2/24` });
    lab.addRoute(pods[name], '198.19.0.0/16', `198.19.${subnet}.1`);
    // The other node reaches this pod's subnet through this node.
    lab.addRoute(node === n1 ? n2 : n1, `198.19.${subnet}.0/24`, node === n1 ? '198.18.0.11' : '198.18.0.12');
  }
  return { n1, n2, pods };
}

function workloads(t: Topology): Record<'a' | 'b' | 'c' | 'd', Workload> {
  const base = { namespace: 'shop', labels: {}, enrolled: true };
  return {
    a: { ...base, uid: 'pod-a', name: 'client-a', serviceAccount: 'client', node: 'node1', ips: ['198.19.1.2'], netnsPath: t.pods.a, labels: { app: 'client' } },
    d: { ...base, uid: 'pod-d', name: 'client-d', serviceAccount: 'local-client', node: 'node1', ips: ['198.19.3.2'], netnsPath: t.pods.d },
    b: { ...base, uid: 'pod-b', name: 'server-b', workload: 'server', serviceAccount: 'server', node: 'node2', ips: ['198.19.2.2'], netnsPath: t.pods.b, labels: { app: 'server' } },
    c: { ...base, uid: 'pod-c', name: 'outsider-c', namespace: 'legacy', serviceAccount: 'default', node: 'node2', ips: ['198.19.4.2'], enrolled: false },
  };
}

/** The snapshot as one node's agent sees it: netns paths only for its own workloads. */
function snapshotFor(node: string, all: Workload[], extra: Partial<MeshSnapshot> = {}): MeshSnapshot {
  return {
    version: extra.version ?? '1',
    settings: { trustDomain, defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY', namespaceModes: {}, ...extra.settings },
    workloads: all.map((w) => {
      if (w.node === node) return w;
      const { netnsPath: _, ...rest } = w;
      return rest;
    }),
    services: [
      {
        name: 'server',
        namespace: 'shop',
        vips: [vip],
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'h2', port: 81, targetPort: 8081, appProtocol: 'http2' },
        ],
        endpoints: ['pod-b'],
      },
    ],
    policies: extra.policies ?? [],
  };
}

/** Runs a client fixture in a pod (inside the node's capture cgroup) and parses its one JSON line. */
async function client(lab: NetnsLab, pod: string, cgroup: string, args: string[]): Promise<Record<string, unknown>> {
  const child = lab.spawn(pod, process.execPath, [join(fixtures, 'app-client.js'), ...args], { cgroup });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, `app-client ${args.join(' ')} failed: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

async function waitForLine(child: ChildProcess, text: string, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> {
  let seen = '';
  const source = child[stream];
  assert.ok(source);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}": ${seen}`)), 10_000);
    source.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** One sample of a Prometheus text exposition: the value of the series whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('the data path between two nodes (privileged)', () => {
  let lab: NetnsLab;
  let topology: Topology;
  let pods: Record<'a' | 'b' | 'c' | 'd', Workload>;
  let agents: { node1: Agent; node2: Agent };
  /** What before() got to, for after() to undo even when before() failed half-way. */
  const made: { lab?: NetnsLab; agents: Agent[]; servers: Server[] } = { agents: [], servers: [] };
  let cgroups: { node1: string; node2: string };
  let issued = 0;
  let anchor: TrustAnchor;
  const adminPorts: Record<'node1' | 'node2', { netns: string; address: string }> = { node1: { netns: '', address: '198.18.0.11' }, node2: { netns: '', address: '198.18.0.12' } };

  /**
   * The agent's /metrics, fetched over HTTP from inside its node's netns (asynchronously:
   * the agents serve it from this very process).
   */
  const metricsOf = async (node: 'node1' | 'node2'): Promise<string> => {
    const script = `fetch('http://${adminPorts[node].address}:15020/metrics').then(r => r.text()).then(t => process.stdout.write(t))`;
    const { stdout } = await execFileAsync('nsenter', [`--net=${adminPorts[node].netns}`, '--', process.execPath, '-e', script], { maxBuffer: 16 << 20 });
    return stdout;
  };

  before(async () => {
    lab = NetnsLab.create();
    made.lab = lab;
    topology = buildTopology(lab);
    adminPorts.node1.netns = topology.n1;
    adminPorts.node2.netns = topology.n2;
    pods = workloads(topology);
    cgroups = { node1: lab.cgroup('node1'), node2: lab.cgroup('node2') };
    anchor = await generateTrustAnchor({ trustDomain });
    const authority = trustingAuthority({ anchor });
    const signer: CertificateSigner = {
      certify: async (csrPem) => {
        issued++;
        const svid = await authority.certify({ csrPem, token: 'agent' });
        return { chainPem: svid.chainPem, notAfter: svid.notAfter };
      },
    };
    const trustBundlePem = anchor.root.certificate.toString('pem');
    const start = (node: 'node1' | 'node2'): Agent => {
      const agent = Agent.start({ node, capture: { objectPath: captureObjectPath, cgroupPath: cgroups[node], pinRoot: lab.bpffs() }, signer, trustBundlePem, log });
      made.agents.push(agent);
      return agent;
    };
    agents = { node1: start('node1'), node2: start('node2') };
    const all = Object.values(pods);
    await Promise.all([agents.node1.apply(snapshotFor('node1', all)), agents.node2.apply(snapshotFor('node2', all))]);
    for (const node of ['node1', 'node2'] as const) {
      made.servers.push((await startAdminServer({ agent: agents[node], address: adminPorts[node].address, port: 15020, netnsPath: adminPorts[node].netns, log })).server);
    }
    for (const pod of [topology.pods.b, topology.pods.d, topology.pods.c]) {
      const server = lab.spawn(pod, process.execPath, [join(fixtures, 'app-server.js')]);
      await waitForLine(server, 'listening');
    }
  });

  after(async () => {
    // Whatever before() got to: the agents it started, then the lab.
    for (const server of made.servers) server.close();
    await Promise.allSettled(made.agents.map((agent) => agent.stop()));
    await made.lab?.cleanup();
  });

  it('enrolls each node’s pods and gives each a certificate of its own identity', () => {
    assert.deepEqual(agents.node1.enrolled().map((w) => w.identity).sort(), ['spiffe://cluster.local/ns/shop/sa/client', 'spiffe://cluster.local/ns/shop/sa/local-client']);
    assert.deepEqual(agents.node2.enrolled().map((w) => w.identity), ['spiffe://cluster.local/ns/shop/sa/server']);
    assert.equal(issued, 3);
  });

  it('carries HTTP/1.1 from A to B by pod IP and by VIP; the wire between the nodes shows only TLS to 15008', async () => {
    const pcap = join(mkdtempSync(join(tmpdir(), 'weft-pcap-')), 'wire.pcap');
    const capture = lab.spawn(topology.n1, 'tcpdump', ['-i', 'fab0', '--immediate-mode', '-U', '-n', '-w', pcap, 'tcp']);
    let captureLog = '';
    capture.stderr?.on('data', (chunk: Buffer) => (captureLog += chunk.toString()));
    await waitForLine(capture, 'listening on', 'stderr');
    const marker = '/plaintext-marker-7f3a9c';
    const byIp = await client(lab, topology.pods.a, cgroups.node1, ['http1', '198.19.2.2', '8080', '20', marker]);
    const byVip = await client(lab, topology.pods.a, cgroups.node1, ['http1', vip, '80', '20', marker]);
    assert.deepEqual(byIp.statuses, Array<number>(20).fill(200));
    assert.deepEqual(byVip.statuses, Array<number>(20).fill(200));
    capture.kill('SIGINT');
    await once(capture, 'exit');
    const raw = readFileSync(pcap);
    rmSync(join(pcap, '..'), { recursive: true, force: true });
    assert.ok(raw.length > 1000, `the capture saw the traffic (${raw.length} bytes of pcap; tcpdump: ${captureLog})`);
    assert.equal(raw.includes(Buffer.from(marker)), false, 'no byte of the plaintext request crossed the wire');
    assert.equal(raw.includes(Buffer.from('x'.repeat(64))), false, 'no byte of the plaintext response crossed the wire');
    const packets = execFileSync('tcpdump', ['-r', '-', '-n', '-q'], { input: raw, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }).trim().split('\n');
    assert.ok(packets.length > 40);
    for (const packet of packets) assert.match(packet, /\.15008[ :]/, `every packet is to or from 15008: ${packet}`);

    // b belongs to the workload "server" (its Deployment): both sides name it so; a has no owner, its own name.
    const shop = { source_workload: 'client-a', destination_workload: 'server', mtls: 'true' };
    const outbound = await metricsOf('node1');
    const inbound = await metricsOf('node2');
    assert.equal(sample(outbound, 'weft_requests_total', { ...shop, direction: 'outbound', response_code: '200' }), 40);
    assert.equal(sample(inbound, 'weft_requests_total', { ...shop, direction: 'inbound', response_code: '200', source_identity: 'spiffe://cluster.local/ns/shop/sa/client' }), 40);
    assert.equal(sample(inbound, 'weft_request_duration_seconds_count', { ...shop, direction: 'inbound' }), 40);
    assert.ok(sample(outbound, 'weft_request_duration_seconds_bucket', { ...shop, direction: 'outbound', le: '+Inf' }) === 40);
  });

  it('counts HTTP/2 requests and gRPC responses on both sides', async () => {
    const h2 = await client(lab, topology.pods.a, cgroups.node1, ['http2', vip, '81', '15', '/status/503']);
    assert.deepEqual(h2.statuses, Array<number>(15).fill(503));
    const grpc = await client(lab, topology.pods.a, cgroups.node1, ['http2', '198.19.2.2', '8081', '5', '/grpc']);
    assert.deepEqual(grpc.statuses, Array<number>(5).fill(200));
    for (const [node, direction] of [['node1', 'outbound'], ['node2', 'inbound']] as const) {
      const text = await metricsOf(node);
      assert.equal(sample(text, 'weft_requests_total', { direction, protocol: 'http2', response_code: '503', response_class: '5xx' }), 15, `${node} http2: ${text.split('\n').filter((l) => l.startsWith('weft_') && !l.startsWith('weft_agent_') && !l.includes('_bucket')).join('\n')}`);
      assert.equal(sample(text, 'weft_requests_total', { direction, protocol: 'grpc', response_code: '200' }), 5, `${node} grpc`);
    }
  });

  it('takes the same-node fast path from A to D, still authorized and counted on both sides', async () => {
    const result = await client(lab, topology.pods.a, cgroups.node1, ['http1', '198.19.3.2', '8080', '7', '/']);
    assert.deepEqual(result.statuses, Array<number>(7).fill(200));
    const text = await metricsOf('node1');
    for (const direction of ['outbound', 'inbound']) assert.equal(sample(text, 'weft_requests_total', { direction, source_workload: 'client-a', destination_workload: 'client-d' }), 7);
  });

  it('moves 100 MB both ways intact with half-close, 1,000 concurrent connections, and a server-speaks-first protocol', async () => {
    const bulk = await client(lab, topology.pods.a, cgroups.node1, ['bulk', '198.19.2.2', '8082', '100']);
    assert.equal(bulk.receivedBytes, 100 << 20);
    assert.equal(bulk.received, bulk.sent);
    const many = await client(lab, topology.pods.a, cgroups.node1, ['concurrent', '198.19.2.2', '8082', '1000']);
    assert.deepEqual(many, { ok: 1000, failed: [] });
    const banner = await client(lab, topology.pods.a, cgroups.node1, ['banner', '198.19.2.2', '8083']);
    assert.deepEqual(banner, { banner: '220 weft-test ready\r\n', reply: 'bye\r\n' });
  });

  it('accepts plaintext from outside the mesh in PERMISSIVE (labelled mtls=false) and refuses it in STRICT', async () => {
    const permissive = await client(lab, topology.pods.c, cgroups.node2, ['http1', '198.19.2.2', '8080', '3', '/']);
    assert.deepEqual(permissive.statuses, [200, 200, 200]);
    assert.equal(sample(await metricsOf('node2'), 'weft_requests_total', { direction: 'inbound', source_workload: 'outsider-c', destination_workload: 'server', mtls: 'false' }), 3);
    const all = Object.values(pods);
    await agents.node2.apply(snapshotFor('node2', all, { version: '2', settings: { trustDomain, defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY', namespaceModes: { shop: 'STRICT' } } }));
    const strict = await client(lab, topology.pods.c, cgroups.node2, ['connect', '198.19.2.2', '8080']);
    assert.notEqual(strict.outcome, 'data', 'STRICT refuses plaintext');
    assert.ok(sample(await metricsOf('node2'), 'weft_authorization_denials_total', { direction: 'inbound', reason: 'strict-plaintext' }) >= 1);
    const stillMeshed = await client(lab, topology.pods.a, cgroups.node1, ['http1', '198.19.2.2', '8080', '2', '/']);
    assert.deepEqual(stillMeshed.statuses, [200, 200], 'mesh traffic is unaffected by STRICT');
  });

  it('makes a connection denied by policy fail fast, and counts it', async () => {
    const all = Object.values(pods);
    await agents.node2.apply(
      snapshotFor('node2', all, {
        version: '3',
        policies: [{ name: 'no-local-client', namespace: 'shop', selector: { app: 'server' }, action: 'DENY', rules: [{ fromIdentities: ['spiffe://cluster.local/ns/shop/sa/local-client'] }] }],
      }),
    );
    const denied = await client(lab, topology.pods.d, cgroups.node1, ['connect', '198.19.2.2', '8080']);
    assert.notEqual(denied.outcome, 'data');
    assert.ok(Number(denied.ms) < 1000, `failed in ${String(denied.ms)} ms`);
    assert.equal(sample(await metricsOf('node2'), 'weft_authorization_denials_total', { direction: 'inbound', reason: 'denied-by-policy', policy: 'shop/no-local-client' }), 1);
    assert.equal(sample(await metricsOf('node1'), 'weft_authorization_denials_total', { direction: 'outbound', reason: 'denied-by-policy' }), 1);
    const allowed = await client(lab, topology.pods.a, cgroups.node1, ['http1', '198.19.2.2', '8080', '1', '/']);
    assert.deepEqual(allowed.statuses, [200], 'other sources are still allowed');
  });

  it('refuses bad HBONE input cleanly — garbage, a cut handshake, a foreign or expired certificate, a tunnel to a pod elsewhere — counts it, and serves everyone else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-probe-'));
    const write = async (name: string, signWith: TrustAnchor, id: string, now?: Date): Promise<string> => {
      const key = createWorkloadKey();
      const issuer = new WorkloadIssuer({ anchor: signWith, ttlSeconds: 60, ...(now ? { now: () => now } : {}) });
      const svid = await issuer.issue(SpiffeId.parse(id), key.publicKeyDer);
      const folder = join(dir, name);
      execFileSync('mkdir', ['-m', '0700', folder]);
      writeFileSync(join(folder, 'chain.pem'), svid.chainPem);
      writeFileSync(join(folder, 'key.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(join(folder, 'ca.pem'), anchor.root.certificate.toString('pem'));
      return folder;
    };
    const probe = async (args: string[]): Promise<Record<string, unknown>> => {
      const child = lab.spawn(topology.pods.c, process.execPath, [join(fixtures, 'hbone-probe.js'), ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await once(child, 'exit');
      assert.ok(stdout, `hbone-probe ${args.join(' ')} said nothing: ${stderr}`);
      return JSON.parse(stdout.split('\n')[0] ?? '{}') as Record<string, unknown>;
    };
    try {
      const foreign = await write('foreign', await generateTrustAnchor({ trustDomain: 'other.example' }), 'spiffe://other.example/ns/shop/sa/client');
      const expired = await write('expired', anchor, 'spiffe://cluster.local/ns/shop/sa/client', new Date(Date.now() - 3_600_000));
      const valid = await write('valid', anchor, 'spiffe://cluster.local/ns/shop/sa/client');
      const failedBefore = sample(await metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'tls-handshake' });
      for (const args of [['garbage'], ['truncated'], ['connect', foreign, '198.19.2.2:8080'], ['connect', expired, '198.19.2.2:8080']]) {
        const [mode = '', ...rest] = args;
        const result = await probe([mode, '198.19.2.2', '15008', ...rest]);
        assert.notEqual(result.outcome, 'response', `${mode}: no tunnel (${JSON.stringify(result)})`);
      }
      const failedAfter = sample(await metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'tls-handshake' });
      assert.equal(failedAfter - failedBefore, 4, 'each bad handshake is counted');
      const elsewhere = await probe(['connect', '198.19.2.2', '15008', valid, '198.19.1.2:8080']);
      assert.deepEqual(elsewhere, { outcome: 'response', status: 400, refusal: 'not-this-workload' });
      assert.equal(sample(await metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'not-this-workload' }), 1);
      const fine = await client(lab, topology.pods.a, cgroups.node1, ['http1', '198.19.2.2', '8080', '3', '/']);
      assert.deepEqual(fine.statuses, [200, 200, 200], 'the agent keeps serving everyone else');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a pod whose agent does not listen after 2 s, and reaches one whose agent is a moment behind', async () => {
    // C (node2) joins the mesh as node1's agent sees it; node2's agent has not opened C's 15008.
    const joined = Object.values({ ...pods, c: { ...pods.c, enrolled: true, netnsPath: topology.pods.c } });
    await agents.node1.apply(snapshotFor('node1', joined, { version: '10' }));
    let late: NodeJS.Timeout | undefined;
    try {
      const failedBefore = sample(await metricsOf('node1'), 'weft_tcp_connections_failed_total', { direction: 'outbound', reason: 'connect-failed' });
      const refused = await client(lab, topology.pods.a, cgroups.node1, ['connect', '198.19.4.2', '8080']);
      assert.notEqual(refused.outcome, 'data');
      assert.ok(Number(refused.ms) >= 1500 && Number(refused.ms) < 4000, `gave up after the retry budget (${String(refused.ms)} ms)`);
      assert.equal(sample(await metricsOf('node1'), 'weft_tcp_connections_failed_total', { direction: 'outbound', reason: 'connect-failed' }) - failedBefore, 1, 'counted once');
      // Now node2's agent learns it 500 ms after the client starts: the refused connects are tried again until C listens.
      late = setTimeout(() => void agents.node2.apply(snapshotFor('node2', joined, { version: '10' })), 500);
      const started = performance.now();
      const reached = await client(lab, topology.pods.a, cgroups.node1, ['http1', '198.19.4.2', '8080', '2', '/']);
      assert.deepEqual(reached.statuses, [200, 200]);
      assert.ok(performance.now() - started >= 400, 'the request did wait for node2');
      assert.equal(sample(await metricsOf('node2'), 'weft_requests_total', { direction: 'inbound', source_workload: 'client-a', destination_workload: 'outsider-c', mtls: 'true' }), 2, 'through HBONE');
    } finally {
      clearTimeout(late);
      await agents.node1.apply(snapshotFor('node1', Object.values(pods), { version: '12' }));
      await agents.node2.apply(snapshotFor('node2', Object.values(pods), { version: '12' }));
    }
  });
});
