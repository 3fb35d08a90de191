// Tier 2 (privileged): agent hand-over, stop and crash on one node, with the real
// weft-agent binary during steady traffic (new connections, keep-alive, long TCP streams
// with checksums) from a pod on node1 to a pod on node2. What crosses the wire between the
// nodes is captured: an enrolled pod's traffic must never leave the mesh in plaintext.
// Needs root; fails (never skips) without it.
//
//   pod a 198.19.1.2 ── node1 198.18.0.11 ══ node2 198.18.0.12 ── pod b 198.19.2.2 (server)
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AgentProcess, NetnsLab, type AgentProcessOptions } from '@weft/agent/testing';
import { generateTrustAnchor, issueServingIdentity, startGrpcServer } from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const caServerName = 'weft-control.weft-system.svc';
const server = '198.19.2.2';

interface Tally {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  lastOkMs: number;
  lastFailMs: number;
}

interface LoadTotals {
  fresh: Tally;
  kept: Tally;
  streams: { intact: number; broken: number; errors: Record<string, number> };
}

/** A steady-load process and its latest totals line. */
class Load {
  readonly #child: ChildProcess;
  #latest: LoadTotals | undefined;

  constructor(child: ChildProcess) {
    this.#child = child;
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      const last = lines.filter(Boolean).at(-1);
      if (last) this.#latest = JSON.parse(last) as LoadTotals;
    });
  }

  /** The latest totals, once there are any. */
  get latest(): LoadTotals | undefined {
    return this.#latest;
  }

  get totals(): LoadTotals {
    assert.ok(this.#latest, 'the load printed its totals');
    return this.#latest;
  }

  /** SIGTERM: what is under way finishes; the last totals. */
  async stop(): Promise<LoadTotals> {
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGTERM');
    await exited;
    return this.totals;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('agent hand-over, stop and crash during traffic (privileged)', () => {
  let lab: NetnsLab;
  let work: string;
  const nodes = { n1: '', n2: '' };
  const pods = { a: '', b: '' };
  let cgroups: { node1: string; node2: string };
  let pinRoot1: string;
  let adminPort1: number;
  let base: Omit<AgentProcessOptions, 'node' | 'adminPort' | 'cgroupPath' | 'pinRoot' | 'staticConfigPath'>;
  let node1: AgentProcess;
  const started: AgentProcess[] = [];
  let stopCa: () => void = () => undefined;

  const startNode1 = (extra: Partial<AgentProcessOptions> = {}): AgentProcess => {
    const agent = AgentProcess.start({ ...base, node: 'node1', adminPort: adminPort1, cgroupPath: cgroups.node1, pinRoot: pinRoot1, staticConfigPath: join(work, 'node1.json'), ...extra });
    started.push(agent);
    return agent;
  };

  const loadFrom = (options: Record<string, number>): Load =>
    new Load(lab.spawn(pods.a, process.execPath, [join(fixtures, 'steady-load.js'), JSON.stringify({ host: server, httpPort: 8080, echoPort: 8082, ...options })], { cgroup: cgroups.node1 }));

  /** tcpdump on node1's link to node2: what crosses the wire. */
  const watchWire = (): { stop: () => Promise<string[]> } => {
    const pcap = join(work, `wire-${Date.now()}.pcap`);
    const capture = lab.spawn(nodes.n1, 'tcpdump', ['-i', 'fab0', '--immediate-mode', '-U', '-n', '-w', pcap, 'tcp']);
    return {
      stop: async () => {
        capture.kill('SIGINT');
        await once(capture, 'exit');
        const raw = readFileSync(pcap);
        assert.equal(raw.includes(Buffer.from('/steady')), false, 'no byte of a plaintext request crossed the wire');
        return execFileSync('tcpdump', ['-r', '-', '-n', '-q'], { input: raw, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }).trim().split('\n').filter(Boolean);
      },
    };
  };

  before(async () => {
    lab = NetnsLab.create();
    work = mkdtempSync(join(tmpdir(), 'weft-handover-'));
    nodes.n1 = lab.addNamespace('n1');
    nodes.n2 = lab.addNamespace('n2');
    lab.link({ netnsPath: nodes.n1, device: 'fab0', cidr: '198.18.0.11/24' }, { netnsPath: nodes.n2, device: 'fab0', cidr: '198.18.0.12/24' });
    for (const node of [nodes.n1, nodes.n2]) lab.sysctl(node, 'net.ipv4.ip_forward', '1');
    for (const [pod, node, subnet, other, via] of [['a', nodes.n1, 1, nodes.n2, '198.18.0.11'], ['b', nodes.n2, 2, nodes.n1, '198.18.0.12']] as const) {
      pods[pod] = lab.addNamespace(`p${pod}`);
      lab.link({ netnsPath: node, device: `to-${pod}`, cidr: `198.19.${subnet}.1/24` }, { netnsPath: pods[pod], device: 'eth0', cidr: `198.19.${subnet}.2/24` });
      lab.addRoute(pods[pod], '198.19.0.0/16', `198.19.${subnet}.1`);
      lab.addRoute(other, `198.19.${subnet}.0/24`, via);
    }
    cgroups = { node1: lab.cgroup('node1'), node2: lab.cgroup('node2') };
    pinRoot1 = lab.bpffs();
    const anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    const ca = await startGrpcServer({ host: '127.0.0.1', port: 0, serving: await issueServingIdentity(anchor, { dns: [caServerName] }), authority: trustingAuthority({ anchor }) });
    stopCa = () => ca.server.forceShutdown();
    writeFileSync(join(work, 'root.crt'), anchor.root.certificate.toString('pem'));
    writeFileSync(join(work, 'token'), 'test-agent\n', { mode: 0o600 });
    for (const node of ['node1', 'node2']) {
      const workloads = [
        { uid: 'pod-a', name: 'client', namespace: 'shop', serviceAccount: 'client', node: 'node1', ips: ['198.19.1.2'], enrolled: true, ...(node === 'node1' ? { netnsPath: pods.a } : {}) },
        { uid: 'pod-b', name: 'server', namespace: 'shop', serviceAccount: 'server', node: 'node2', ips: [server], enrolled: true, ...(node === 'node2' ? { netnsPath: pods.b } : {}) },
      ];
      writeFileSync(join(work, `${node}.json`), JSON.stringify({ version: '1', settings: { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY' }, workloads }));
    }
    base = { caAddress: `127.0.0.1:${ca.port}`, caServerName, trustBundlePath: join(work, 'root.crt'), tokenPath: join(work, 'token'), stopMode: 'auto', drainSeconds: 10, successorWaitSeconds: 1 };
    adminPort1 = await freePort();
    const node2 = AgentProcess.start({ ...base, node: 'node2', adminPort: await freePort(), cgroupPath: cgroups.node2, pinRoot: lab.bpffs(), staticConfigPath: join(work, 'node2.json'), stopMode: 'release' });
    started.push(node2);
    node1 = startNode1();
    await Promise.all([node1.waitReady(), node2.waitReady()]);
    const app = lab.spawn(pods.b, process.execPath, [join(fixtures, 'app-server.js')]);
    await new Promise<void>((resolve) => app.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve()));
  });

  after(async () => {
    for (const agent of started) await agent.stop(20_000);
    stopCa();
    await lab.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('hands the node over to a new agent during traffic: nothing fails, no stream breaks, nothing crosses the wire in plaintext', async () => {
    const pinsBefore = readdirSync(join(pinRoot1, 'links')).sort();
    const wire = watchWire();
    const load = loadFrom({ rate: 100, keepAlive: 2, streams: 10, streamSeconds: 3, streamBytes: 256 * 1024 });
    await until('traffic through the first agent', 10_000, () => (load.latest?.fresh.ok ?? 0) > 50);

    const successor = startNode1();
    const spawnedAt = Date.now();
    await until('the new agent to take the node over', 30_000, () => successor.logTail(50).includes('took the node over'));
    const tookMs = Date.now() - spawnedAt;
    await successor.waitReady();
    const stopped = await node1.stop(20_000);
    assert.match(stopped, /^exit 0 /, `the old agent drained and exited by itself (${stopped})`);
    node1 = successor;
    const atHandover = load.totals;
    await sleep(2000);
    const totals = await load.stop();
    const packets = await wire.stop();

    process.stdout.write(`# hand-over: the new agent took the node ${tookMs} ms after it was started; old agent: ${stopped}; load: ${JSON.stringify({ fresh: totals.fresh.ok, kept: totals.kept.ok, streams: totals.streams.intact })}\n`);
    assert.equal(totals.fresh.failed, 0, `no request on a new connection failed (${JSON.stringify(totals.fresh.errors)})`);
    assert.equal(totals.kept.failed, 0, `no keep-alive request failed (${JSON.stringify(totals.kept.errors)})`);
    assert.equal(totals.streams.broken, 0, `no stream broke, every checksum matched (${JSON.stringify(totals.streams.errors)})`);
    assert.ok(totals.fresh.ok - atHandover.fresh.ok > 100 && totals.kept.ok - atHandover.kept.ok > 100, 'traffic went on after the hand-over');
    assert.ok(totals.streams.intact >= 20, `streams went on (${totals.streams.intact} intact)`);
    assert.ok(packets.length > 100, `the wire was watched (${packets.length} packets)`);
    for (const packet of packets) assert.match(packet, /\.15008[ :]/, `every packet between the nodes is HBONE: ${packet}`);
    assert.ok((await successor.metricTotal('weft_requests_total', { direction: 'outbound' })) > 0, 'the new agent carried requests');
    assert.deepEqual(readdirSync(join(pinRoot1, 'links')).sort(), pinsBefore, 'the same pins: the kernel state was taken over, not rebuilt');
  });

  /**
   * Takes node1's agent away during traffic on new connections (`end`), starts the next one
   * once connections fail, and says what the pod saw: only refusals, nothing but HBONE on
   * the wire, and how soon after its start the next agent served again.
   */
  const withoutAgent = async (what: string, end: () => Promise<void>, next: Partial<AgentProcessOptions> = {}): Promise<void> => {
    const wire = watchWire();
    const load = loadFrom({ rate: 50, keepAlive: 0, streams: 0, streamSeconds: 1, streamBytes: 1 });
    await until('traffic', 10_000, () => (load.latest?.fresh.ok ?? 0) > 20);
    await end();
    await until('connections to be refused', 10_000, () => load.totals.fresh.failed > 0);
    await sleep(500);
    const successor = startNode1(next);
    const spawnedAt = Date.now();
    await successor.waitReady();
    node1 = successor;
    await sleep(1000);
    const totals = await load.stop();
    const packets = await wire.stop();
    process.stdout.write(`# ${what}: ${totals.fresh.failed} connections refused; the next agent served new connections ${totals.fresh.lastFailMs - spawnedAt} ms after it was started\n`);
    // Refused at connect, or reset while queued on a listener that closed: either way the pod's connection failed fast, at the pod.
    assert.ok(Object.keys(totals.fresh.errors).every((e) => e === 'ECONNREFUSED' || e === 'ECONNRESET'), `refused at the pod, nothing else (${JSON.stringify(totals.fresh.errors)})`);
    assert.ok(totals.fresh.lastOkMs > totals.fresh.lastFailMs, 'served again once the next agent runs');
    for (const packet of packets) assert.match(packet, /\.15008[ :]/, `nothing but HBONE crossed the wire: ${packet}`);
  };

  it('leaves capture in the kernel when stopped without a successor: enrolled pods are refused, never sent around the mesh; the next agent restores it', async () => {
    await withoutAgent('stopped without a successor', async () => assert.match(await node1.stop(20_000), /^exit 0 /));
  });

  it('after kill -9, the next agent takes the kernel state over and serves new connections again', async () => {
    await withoutAgent('kill -9', () => Promise.resolve(void process.kill(node1.pid, 'SIGKILL')), { stopMode: 'release' });
  });
});
