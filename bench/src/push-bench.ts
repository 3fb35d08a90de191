// make bench (control plane): push latency — from an API change to every agent holding it —
// with 2000 pods and 500 services across emulated nodes, and the control plane's memory at
// that size. Goal from the control plane issue: p99 <= 500 ms.
//
// Real parts: the testbed's kube-apiserver, etcd and controllers (EndpointSlices are the
// real controller's), the weft-control binary as its own process, and per node the agent's
// own ConfigClient feeding a real MeshState, authenticated with a real pod-bound token
// reviewed by the API server. The pods are API objects only (no processes): the figure is
// the control plane's and the stream's, not capture's (bench/src/capture-bench.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigClient, MeshState, type MeshSnapshot } from '@weft/agent';
import { createLogger } from '@weft/api';
import { acquireTestbedLease, down, paths, startComponent, up } from '@weft/e2e/testbed';
import { benchKubeConfig, createPushCluster, toggleEnrollment, type PushClusterSize } from './push-cluster.js';
import { processUsage } from './process-usage.js';
import { fmt, percentile } from './stats.js';

const size: PushClusterSize = { nodes: 10, pods: 2000, services: 500 };
const changes = 60;
const goalP99Ms = 500;
// The control plane listens on the host's address in the testbed's fabric (its own ports).
const grpcAddress = '198.18.0.1:25012';
const httpAddress = '198.18.0.1:28084';
const controlMain = fileURLToPath(new URL('../../control/dist/main.js', import.meta.url));
const log = createLogger({ component: 'push-bench', level: 'error' });
const progress = (text: string): void => void process.stdout.write(`[push-bench] ${text}\n`);

/** One emulated node's agent: the real client and state, and who waits for what. */
interface BenchAgent {
  client: ConfigClient;
  latest: () => MeshSnapshot | undefined;
  /** Updates applied so far, and when the last one was. */
  updates: () => number;
  lastUpdateAt: () => number;
  waiters: { check: (s: MeshSnapshot) => boolean; resolve: () => void }[];
}

function startAgent(token: string, trustBundlePem: string): BenchAgent {
  const state = new MeshState({ log });
  let latest: MeshSnapshot | undefined;
  let waiters: BenchAgent['waiters'] = [];
  let updates = 0;
  let lastUpdateAt = 0;
  const client = new ConfigClient({
    address: grpcAddress,
    serverName: 'weft-control.weft-system.svc',
    trustBundlePem,
    token: () => Promise.resolve(token),
    log,
    apply: (snapshot) => {
      // As the agent does (ControlPlaneSource): the client's resources are adopted, not copied.
      state.replace(snapshot, { adopt: true });
      latest = snapshot;
      updates++;
      lastUpdateAt = performance.now();
      const met = waiters.filter((w) => w.check(snapshot));
      waiters = waiters.filter((w) => !met.includes(w));
      for (const w of met) w.resolve();
      return Promise.resolve();
    },
  });
  client.start();
  return {
    client,
    latest: () => latest,
    updates: () => updates,
    lastUpdateAt: () => lastUpdateAt,
    get waiters() {
      return waiters;
    },
  };
}

/** Resolves once no agent has received an update for `ms` (or after a minute: the per-change count then shows the churn). */
async function quiet(agents: BenchAgent[], ms: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const last = Math.max(...agents.map((a) => a.lastUpdateAt()));
    const since = performance.now() - last;
    if (since >= ms) return;
    await new Promise((resolve) => setTimeout(resolve, ms - since));
  }
}

/** Resolves when the agent holds a snapshot for which `check` is true; a bench that waits longer than `timeoutMs` fails, it never hangs. */
function until(agent: BenchAgent, check: (s: MeshSnapshot) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const latest = agent.latest();
  if (latest && check(latest)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`push bench: an agent did not receive ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
    agent.waiters.push({
      check,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    });
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('push bench: must run as root (the testbed makes network namespaces)');
  const release = await acquireTestbedLease();
  const agents: BenchAgent[] = [];
  let stopHeartbeats = (): void => undefined;
  // Interrupted, it still takes down what it made.
  const interrupted = (): void => {
    stopHeartbeats();
    void down({ quiet: true }).finally(() => {
      release();
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    progress('bringing the testbed up');
    // A testbed left by a killed run is no one's now: this process holds the lease.
    await down({ quiet: true });
    await up({ nodes: 1 });
    const { kubeconfig, core } = benchKubeConfig(paths.kubeconfig);
    const cluster = await createPushCluster(kubeconfig, core, size, progress);
    stopHeartbeats = cluster.stopHeartbeats;
    progress('starting weft-control');
    const pid = startComponent('weft-control', process.execPath, [controlMain], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WEFT_KUBECONFIG: paths.kubeconfig, WEFT_GRPC_ADDRESS: grpcAddress, WEFT_HTTP_ADDRESS: httpAddress, WEFT_LOG_LEVEL: 'warn' },
    });
    const trustBundlePem = await waitForTrustBundle(core);
    const syncStart = performance.now();
    agents.push(...cluster.tokens.map((token) => startAgent(token, trustBundlePem)));
    const complete = (s: MeshSnapshot): boolean => s.workloads.length >= size.pods && s.services.length >= size.services;
    await Promise.all(agents.map((a) => until(a, complete, `the first full snapshot (${size.pods} workloads, ${size.services} services)`, 180_000)));
    const syncMs = performance.now() - syncStart;
    // The controllers may still be settling (EndpointSlices of 500 services): measure from quiet.
    await quiet(agents, 2000);
    const usage = processUsage(pid);
    const updatesBefore = agents.reduce((n, a) => n + a.updates(), 0);
    progress(`every agent holds ${size.pods} workloads and ${size.services} services; measuring ${changes} changes`);

    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
      // Out, then back in: two changes of one pod, each reaching every agent.
      const pod = (Math.floor(i / 2) * 37) % size.pods;
      const out = i % 2 === 0;
      const holds = (s: MeshSnapshot): boolean => s.workloads.find((w) => w.name === `pod-${pod}`)?.enrolled === !out;
      const start = performance.now();
      const all = Promise.all(agents.map((a) => until(a, holds, `pod-${pod} ${out ? 'leaving' : 'joining'} the mesh`)));
      await toggleEnrollment(core, pod, out);
      await all;
      latencies.push(performance.now() - start);
    }
    const perChange = (agents.reduce((n, a) => n + a.updates(), 0) - updatesBefore) / (changes * agents.length);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    process.stdout.write(`\nWeft control plane push benchmark (${size.pods} pods, ${size.services} services, ${size.nodes} nodes' agents)\n`);
    process.stdout.write(`  first full snapshot to every agent: ${fmt(syncMs, 0)} ms\n`);
    process.stdout.write(`  push latency, API change → all ${size.nodes} agents hold it (${changes} changes): p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms (goal p99 <= ${goalP99Ms} ms: ${p99 <= goalP99Ms ? 'met' : 'NOT met'})\n`);
    process.stdout.write(`  updates per agent per change: ${fmt(perChange, 2)} (1.00: nothing else changed meanwhile)\n`);
    const metrics = await (await fetch(`http://${httpAddress}/metrics`)).text();
    const heapUsed = Number(/^weft_control_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN);
    process.stdout.write(`  weft-control memory at this size: ${fmt(usage.rssBytes / 2 ** 20, 0)} MiB resident, ${fmt(heapUsed / 2 ** 20, 0)} MiB of JavaScript heap in use\n`);
  } finally {
    stopHeartbeats();
    for (const agent of agents) agent.client.stop();
    await down({ quiet: true });
    release();
  }
}

async function waitForTrustBundle(core: ReturnType<typeof benchKubeConfig>['core']): Promise<string> {
  for (let i = 0; i < 300; i++) {
    try {
      const map = await core.readNamespacedConfigMap({ name: 'weft-trust-bundle', namespace: 'weft-system' });
      const pem = map.data?.['root.crt'];
      if (pem) return pem;
    } catch {
      // Not published yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`weft-control did not publish its trust bundle; see ${paths.logs}/weft-control.log: ${readFileSync(`${paths.logs}/weft-control.log`, 'utf8').slice(-2000)}`);
}

await main();
