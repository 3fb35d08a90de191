// What the e2e suites share: the testbed with Weft installed through its Helm chart, and
// the probes the suites look through — the agents' admin ports, pods' processes, the wire
// between the nodes, the sample app's load client.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupRoot } from '../testbed/network.js';
import { containerLog, eventually, kubectlOf, podsOf, type Pod } from '../testbed/testbed-client.js';
import { netnsName, testbed } from '../testbed/testbed-config.js';
import { acquireTestbedLease } from '../testbed/testbed-lease.js';
import { down, up } from '../testbed/testbed.js';
import { ensureHelm } from '../testbed/upstream.js';
import { installWeft } from '../testbed/weft-chart.js';

export const shopManifest = fileURLToPath(new URL('../../testdata/apps/shop.yaml', import.meta.url));

export type Kubectl = (args: string[], input?: string) => string;

/** What /debug/state of an agent says. */
export interface AgentState {
  version: string;
  source?: { connected: boolean; version: string; refused: number };
  enrolled: { uid: string; name: string; namespace: string; identity: string; strict: boolean }[];
}

/** The totals the http-load image prints every second. */
export interface LoadTotals {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  status: Record<string, number>;
}

export const nodeIp = (node: string): string => testbed.nodeAddress(Number(node.replace('node', '')));

/** Brings the testbed up and installs Weft with helm; `stop()` takes it all down. */
export async function startMeshTestbed(options: { helmArgs?: string[] } = {}): Promise<{ kubectl: Kubectl; stop: () => Promise<void>; installOutput: string }> {
  if (process.getuid?.() !== 0) throw new Error('e2e suite: must run as root (network namespaces, cgroups, eBPF); run `sudo make test`');
  const kubectl = kubectlOf(ensureHelm().kubectl);
  const release = await acquireTestbedLease();
  let installOutput: string;
  try {
    // A testbed left up (WEFT_E2E_KEEP=1, a killed run) is no one's: this suite holds the lease.
    await down({ quiet: true });
    await up();
    installOutput = installWeft(options.helmArgs);
  } catch (error) {
    await down({ quiet: true }).catch(() => undefined);
    release();
    throw error;
  }
  return {
    kubectl,
    installOutput,
    stop: async () => {
      // WEFT_E2E_KEEP=1 leaves the testbed up to look into (the next suite takes it down).
      if (process.env.WEFT_E2E_KEEP !== '1') await down({ quiet: true });
      release();
    },
  };
}

async function agentGet(node: string, path: string): Promise<string> {
  const response = await fetch(`http://${nodeIp(node)}:15020${path}`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`agent on ${node}: ${path} answered ${response.status}`);
  return response.text();
}

export async function agentState(node: string): Promise<AgentState> {
  return JSON.parse(await agentGet(node, '/debug/state')) as AgentState;
}

export function agentMetrics(node: string): Promise<string> {
  return agentGet(node, '/metrics');
}

/** The sum of the samples of `name` whose labels include `labels`, in a Prometheus exposition. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** The processes of a pod (its cgroup's), sorted: the same list later means nothing restarted. */
export function podPids(pod: Pod): number[] {
  const file = join(cgroupRoot(), pod.spec.nodeName ?? '', pod.metadata.uid, 'cgroup.procs');
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
}

/** The network namespace inode of a pod, from one of its processes ("net:[4026532…]"). */
export function podNetns(pod: Pod): string {
  const [pid] = podPids(pod);
  if (pid === undefined) throw new Error(`pod ${pod.metadata.name} has no process`);
  return readlinkSync(`/proc/${pid}/ns/net`);
}

/** Every network namespace a process holds open, as "net:[inode]". */
export function heldNetns(pid: number): string[] {
  const held: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('net:[')) held.push(target);
    } catch {
      // Closed meanwhile.
    }
  }
  return held;
}

export function pod(kubectl: Kubectl, namespace: string, name: string): Pod {
  const found = podsOf(kubectl, namespace).find((p) => p.metadata.name === name);
  if (!found) throw new Error(`no pod ${namespace}/${name}`);
  return found;
}

/** The last totals line of an http-load container. */
export function loadTotals(p: Pod, container = 'load'): LoadTotals {
  const last = containerLog(p.metadata.uid, container).trim().split('\n').at(-1) ?? '';
  // Nothing printed yet: nothing sent yet.
  return last === '' ? { ok: 0, failed: 0, errors: {}, status: {} } : (JSON.parse(last) as LoadTotals);
}

/** Waits for the next totals line, so what is read covers requests made from now on. */
export async function nextTotals(p: Pod, container = 'load'): Promise<LoadTotals> {
  const before = containerLog(p.metadata.uid, container).length;
  await eventually('the load client to print its totals', () => containerLog(p.metadata.uid, container).length > before, 5000);
  return loadTotals(p, container);
}

/** Decodes a pcap with tcpdump: one line per packet. */
function decode(pcap: Buffer): Promise<string[]> {
  return new Promise((resolve) => {
    const reader = spawn('tcpdump', ['-r', '-', '-n', '-q'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    reader.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    reader.on('exit', () => resolve(out.split('\n').filter(Boolean)));
    reader.stdin.end(pcap);
  });
}

/**
 * What crossed a node's link into the fabric during `seconds` to or from `host`: TCP
 * packets of 15008 (HBONE) and of `plainPort`, and whether the bytes of `text` were seen.
 */
export async function watchWire(node: string, seconds: number, options: { plainPort: number; text: string; host: string }): Promise<WireSeen> {
  const watch = startWireWatch(node, options);
  await sleep(seconds * 1000);
  return watch.stop();
}

export interface WireSeen {
  hbone: number;
  plain: number;
  sawText: boolean;
}

/** watchWire for as long as it takes: stop() ends the capture and says what it saw. */
export function startWireWatch(node: string, options: { plainPort: number; text: string; host: string }): { stop: () => Promise<WireSeen> } {
  const { plainPort, text, host } = options;
  // --immediate-mode: without it a short capture may end with packets still in the kernel's buffer.
  const capture = spawn('ip', ['netns', 'exec', netnsName(node), 'tcpdump', '-i', 'eth0', '--immediate-mode', '-U', '-n', '-w', '-', 'tcp', 'and', 'host', host], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  capture.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    stop: async () => {
      capture.kill('SIGINT');
      await once(capture, 'exit');
      const pcap = Buffer.concat(chunks);
      const lines = await decode(pcap);
      const touches = (port: number): number => lines.filter((line) => line.includes(`.${port} >`) || line.includes(`.${port}: tcp`)).length;
      return { hbone: touches(15008), plain: touches(plainPort), sawText: pcap.includes(Buffer.from(text)) };
    },
  };
}

export async function shopPods(kubectl: Kubectl): Promise<Record<'client' | 'loner' | 'servers', Pod[]>> {
  return eventually('the shop pods to be Running', () => {
    const pods = podsOf(kubectl, 'shop');
    const running = pods.filter((p) => p.status.phase === 'Running' && p.status.podIP);
    if (running.length < 4) return undefined;
    return {
      client: running.filter((p) => p.metadata.name === 'client'),
      loner: running.filter((p) => p.metadata.name === 'loner'),
      servers: running.filter((p) => p.metadata.name.startsWith('server-')),
    };
  }, 60_000);
}

/**
 * The sample app in namespace shop (labelled into the mesh when `enrolled`), once its pods
 * run — and when enrolled, once every agent has enrolled them — and once the client is
 * served: four seconds of successful requests with none failing. kube-proxy programs the
 * Service a moment after its endpoints are Ready, and a request sent during that change
 * may hang until the client's 3 s timeout: a shorter window let such a request fail inside
 * the next test's measurement.
 */
export async function deployShop(kubectl: Kubectl, options: { enrolled: boolean }): Promise<Awaited<ReturnType<typeof shopPods>>> {
  kubectl(['create', 'namespace', 'shop']);
  if (options.enrolled) kubectl(['label', 'namespace', 'shop', 'weft.dev/mesh=enabled']);
  kubectl(['apply', '-f', shopManifest]);
  const pods = await shopPods(kubectl);
  if (options.enrolled) {
    const wanted = [...pods.client, ...pods.servers].map((p) => p.metadata.uid);
    await eventually('the shop pods to be enrolled', async () => {
      const enrolled = new Set((await Promise.all(['node1', 'node2'].map(agentState))).flatMap((s) => s.enrolled.map((w) => w.uid)));
      return wanted.every((uid) => enrolled.has(uid));
    }, 60_000);
  }
  const client = pod(kubectl, 'shop', 'client');
  await eventually('the client to be served', async () => {
    const first = await nextTotals(client);
    let last = first;
    for (let i = 0; i < 4; i++) last = await nextTotals(client);
    return last.ok > first.ok && last.failed === first.failed;
  }, 60_000);
  return pods;
}
