// The two emulated nodes the data-path privileged tests share: real eBPF capture, two
// agents in the test process (one per node, each with its own cgroup and pins), pods as
// network namespaces routed through their nodes, apps as real processes, the real CA code
// signing their certificates. Needs root.
//
//   pod A 198.19.1.2 ─┐                         ┌─ pod B 198.19.2.2 (server; VIP 198.18.10.10)
//   pod D 198.19.3.2 ─┤ node1 198.18.0.11 ══ node2 198.18.0.12 ├─ pod C 198.19.4.2 (not in the mesh)
import assert from 'node:assert/strict';
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '@weft/api';
import { Agent, createWorkloadKey, startAdminServer, type CertificateSigner, type MeshSnapshot, type Workload } from '@weft/agent';
import { NetnsLab, captureObjectPath } from '@weft/agent/testing';
import { generateTrustAnchor, SpiffeId, WorkloadIssuer, type TrustAnchor } from '@weft/control';
import { signLeaf, trustingAuthority } from '@weft/control/testing';

const execFileAsync = promisify(execFile);
export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const trustDomain = 'cluster.local';
export const vip = '198.18.10.10';
/** How long app-client's `connect` waits for an answer: "fast" is judged against it. */
export const appClientTimeoutMs = 5000;
const log = createLogger({ component: 'test-agent', level: 'warn' });

export type NodeName = 'node1' | 'node2';
export type PodName = 'a' | 'b' | 'c' | 'd';

export interface Topology {
  n1: string;
  n2: string;
  pods: Record<PodName, string>;
}

/** Nodes joined by one link ("the wire" a packet capture watches), each pod on its own /24. */
function buildTopology(lab: NetnsLab): Topology {
  const n1 = lab.addNamespace('n1');
  const n2 = lab.addNamespace('n2');
  lab.link({ netnsPath: n1, device: 'fab0', cidr: '198.18.0.11/24' }, { netnsPath: n2, device: 'fab0', cidr: '198.18.0.12/24' });
  for (const node of [n1, n2]) lab.sysctl(node, 'net.ipv4.ip_forward', '1');
  const pods = { a: lab.addNamespace('pa'), b: lab.addNamespace('pb'), c: lab.addNamespace('pc'), d: lab.addNamespace('pd') };
  const place = { a: [n1, 1], d: [n1, 3], b: [n2, 2], c: [n2, 4] } as const;
  for (const [name, [node, subnet]] of Object.entries(place) as [PodName, (typeof place)[PodName]][]) {
    lab.link({ netnsPath: node, device: `to-${name}`, cidr: `198.19.${subnet}.1/24` }, { netnsPath: pods[name], device: 'eth0', cidr: `198.19.${subnet}.2/24` });
    lab.addRoute(pods[name], '198.19.0.0/16', `198.19.${subnet}.1`);
    // The other node reaches this pod's subnet through this node.
    lab.addRoute(node === n1 ? n2 : n1, `198.19.${subnet}.0/24`, node === n1 ? '198.18.0.11' : '198.18.0.12');
  }
  return { n1, n2, pods };
}

function workloads(t: Topology): Record<PodName, Workload> {
  const base = { namespace: 'shop', labels: {}, enrolled: true };
  return {
    a: { ...base, uid: 'pod-a', name: 'client-a', serviceAccount: 'client', node: 'node1', ips: ['198.19.1.2'], netnsPath: t.pods.a, labels: { app: 'client' } },
    d: { ...base, uid: 'pod-d', name: 'client-d', serviceAccount: 'local-client', node: 'node1', ips: ['198.19.3.2'], netnsPath: t.pods.d },
    b: { ...base, uid: 'pod-b', name: 'server-b', workload: 'server', serviceAccount: 'server', node: 'node2', ips: ['198.19.2.2'], netnsPath: t.pods.b, labels: { app: 'server' } },
    c: { ...base, uid: 'pod-c', name: 'outsider-c', namespace: 'legacy', serviceAccount: 'default', node: 'node2', ips: ['198.19.4.2'], enrolled: false },
  };
}

/** The snapshot as one node's agent sees it: netns paths only for its own workloads. */
export function snapshotFor(node: string, all: Workload[], extra: Partial<MeshSnapshot> = {}): MeshSnapshot {
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

export async function waitForLine(child: ChildProcess, text: string, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> {
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

/** One sample of a Prometheus text exposition: the sum of the series whose labels include `labels`. */
export function sample(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Certificate files for hbone-probe's `connect` mode: chain.pem, key.pem, ca.pem. */
export interface ProbeIdentity {
  dir: string;
}

export interface TwoNodeLabOptions {
  /** Workload certificate lifetime (default the CA's, 24 h). */
  certificateTtlSeconds?: number;
  /** The agents' identity back-off (tests with short certificates shorten it). */
  identityBackoff?: { initialMs: number; maxMs: number };
}

interface LabParts {
  lab: NetnsLab;
  topology: Topology;
  pods: Record<PodName, Workload>;
  cgroups: Record<NodeName, string>;
  agents: Record<NodeName, Agent>;
  anchor: TrustAnchor;
  issued: { identity: string; notAfter: Date }[];
  servers: Server[];
  work: string;
}

/**
 * The lab: nodes, pods, the CA, an agent per node with its admin port, the app servers in
 * B, D and C. `stop()` undoes whatever `start()` got to.
 */
export class TwoNodeLab {
  readonly lab: NetnsLab;
  readonly topology: Topology;
  readonly pods: Record<PodName, Workload>;
  readonly cgroups: Record<NodeName, string>;
  readonly agents: Record<NodeName, Agent>;
  readonly anchor: TrustAnchor;
  /** Certificates the CA signed, in order. */
  readonly issued: { identity: string; notAfter: Date }[];
  readonly #servers: Server[];
  readonly #work: string;

  private constructor(parts: LabParts) {
    this.lab = parts.lab;
    this.topology = parts.topology;
    this.pods = parts.pods;
    this.cgroups = parts.cgroups;
    this.agents = parts.agents;
    this.anchor = parts.anchor;
    this.issued = parts.issued;
    this.#servers = parts.servers;
    this.#work = parts.work;
  }

  static async start(options: TwoNodeLabOptions = {}): Promise<TwoNodeLab> {
    const lab = NetnsLab.create();
    const made: { agents: Agent[]; servers: Server[] } = { agents: [], servers: [] };
    const work = mkdtempSync(join(tmpdir(), 'weft-two-nodes-'));
    try {
      const topology = buildTopology(lab);
      const pods = workloads(topology);
      const cgroups = { node1: lab.cgroup('node1'), node2: lab.cgroup('node2') };
      const anchor = await generateTrustAnchor({ trustDomain });
      const authority = trustingAuthority({ anchor, ...(options.certificateTtlSeconds ? { ttlSeconds: options.certificateTtlSeconds } : {}) });
      const issued: { identity: string; notAfter: Date }[] = [];
      const signer: CertificateSigner = {
        certify: async (csrPem) => {
          const svid = await authority.certify({ csrPem, token: 'agent' });
          issued.push({ identity: svid.spiffeId.toString(), notAfter: svid.notAfter });
          return { chainPem: svid.chainPem, notAfter: svid.notAfter };
        },
      };
      const trustBundlePem = anchor.root.certificate.toString('pem');
      const start = (node: NodeName): Agent => {
        const agent = Agent.start({
          node,
          capture: { objectPath: captureObjectPath, cgroupPath: cgroups[node], pinRoot: lab.bpffs() },
          signer,
          trustBundlePem,
          log,
          ...(options.identityBackoff ? { identityBackoff: options.identityBackoff } : {}),
        });
        made.agents.push(agent);
        return agent;
      };
      const agents = { node1: start('node1'), node2: start('node2') };
      const all = Object.values(pods);
      await Promise.all([agents.node1.apply(snapshotFor('node1', all)), agents.node2.apply(snapshotFor('node2', all))]);
      for (const [node, address, netnsPath] of [['node1', '198.18.0.11', topology.n1], ['node2', '198.18.0.12', topology.n2]] as const) {
        made.servers.push((await startAdminServer({ agent: agents[node], address, port: 15020, netnsPath, log })).server);
      }
      for (const pod of [topology.pods.b, topology.pods.d, topology.pods.c]) {
        const server = lab.spawn(pod, process.execPath, [join(fixtures, 'app-server.js')]);
        await waitForLine(server, 'listening');
      }
      return new TwoNodeLab({ lab, topology, pods, cgroups, agents, anchor, issued, servers: made.servers, work });
    } catch (error) {
      for (const server of made.servers) server.close();
      await Promise.allSettled(made.agents.map((agent) => agent.stop({ mode: 'release' })));
      await lab.cleanup();
      rmSync(work, { recursive: true, force: true });
      throw error;
    }
  }

  async stop(): Promise<void> {
    for (const server of this.#servers) server.close();
    await Promise.allSettled(Object.values(this.agents).map((agent) => agent.stop({ mode: 'release' })));
    await this.lab.cleanup();
    rmSync(this.#work, { recursive: true, force: true });
  }

  /** Gives both agents the snapshot of `all` (their own view each). */
  async apply(all: Workload[], extra: Partial<MeshSnapshot> = {}): Promise<void> {
    await Promise.all((['node1', 'node2'] as const).map((node) => this.agents[node].apply(snapshotFor(node, all, extra))));
  }

  /** Runs app-client in a pod (inside its node's capture cgroup) and parses its last JSON line. */
  async client(pod: PodName, args: string[]): Promise<Record<string, unknown>> {
    const node: NodeName = pod === 'a' || pod === 'd' ? 'node1' : 'node2';
    const child = this.lab.spawn(this.topology.pods[pod], process.execPath, [join(fixtures, 'app-client.js'), ...args], { cgroup: this.cgroups[node] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, `app-client ${args.join(' ')} failed: ${stderr}`);
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  }

  /** An agent's /metrics, fetched over HTTP from inside its node's netns (the agents serve it from this very process). */
  async metricsOf(node: NodeName): Promise<string> {
    const [netns, address] = node === 'node1' ? [this.topology.n1, '198.18.0.11'] : [this.topology.n2, '198.18.0.12'];
    const script = `fetch('http://${address}:15020/metrics').then(r => r.text()).then(t => process.stdout.write(t))`;
    const { stdout } = await execFileAsync('nsenter', [`--net=${netns}`, '--', process.execPath, '-e', script], { maxBuffer: 16 << 20 });
    return stdout;
  }

  /** Runs hbone-probe from a pod's netns (outside the capture cgroup) and parses what it says. */
  async probe(from: PodName, args: string[]): Promise<Record<string, unknown>> {
    const child = this.lab.spawn(this.topology.pods[from], process.execPath, [join(fixtures, 'hbone-probe.js'), ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await once(child, 'exit');
    assert.ok(stdout, `hbone-probe ${args.join(' ')} said nothing: ${stderr}`);
    return JSON.parse(stdout.split('\n')[0] ?? '{}') as Record<string, unknown>;
  }

  /**
   * Certificate files for a probe or an impostor: by default a proper SVID for `uris[0]`
   * signed by `signWith`'s intermediate (the mesh's unless given); with `raw`, a leaf with
   * exactly these URI SANs — none, two — which the real issuer never signs.
   */
  async identity(name: string, options: { uris: string[]; signWith?: TrustAnchor; now?: Date; raw?: boolean }): Promise<ProbeIdentity> {
    const key = createWorkloadKey();
    const signWith = options.signWith ?? this.anchor;
    let chainPem: string;
    if (options.raw) {
      chainPem = await signLeaf({ anchor: signWith, uris: options.uris, publicKeyDer: key.publicKeyDer });
    } else {
      const [uri = ''] = options.uris;
      const issuer = new WorkloadIssuer({ anchor: signWith, ttlSeconds: 60, ...(options.now ? { now: () => options.now ?? new Date() } : {}) });
      chainPem = (await issuer.issue(SpiffeId.parse(uri), key.publicKeyDer)).chainPem;
    }
    const dir = join(this.#work, name);
    execFileSync('mkdir', ['-m', '0700', dir]);
    writeFileSync(join(dir, 'chain.pem'), chainPem);
    writeFileSync(join(dir, 'key.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'ca.pem'), this.anchor.root.certificate.toString('pem'));
    return { dir };
  }
}
