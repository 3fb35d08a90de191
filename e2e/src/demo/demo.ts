// make demo: the testbed cluster, Weft from its chart, a sample app speaking HTTP and gRPC
// under steady load, its namespace enrolled with the weft CLI, and the UI forwarded to
// localhost — each long step announced and timed. The forward is a recorded testbed
// component, so `make demo-down` stops exactly that process and then takes the testbed down.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TrafficGraph } from '@weft/api';
import { startComponent, stopComponent } from '../testbed/processes.js';
import { eventually, kubectlOf } from '../testbed/testbed-client.js';
import { paths, stateDir, testbed } from '../testbed/testbed-config.js';
import { down, up } from '../testbed/testbed.js';
import { ensureHelm } from '../testbed/upstream.js';
import { installWeft, uiNodePort } from '../testbed/weft-chart.js';
import { dashboardComponent, demoEdges, demoManifest, demoUiAddress, weftCli } from './demo-config.js';
import { acquireDemoLease } from './demo-lease.js';

const steps = 6;
const uiUrl = `http://${demoUiAddress.host}:${demoUiAddress.port}/`;
const indent = (text: string): string => text.trimEnd().replace(/^/gm, '      ');

async function step<T>(index: number, what: string, run: () => Promise<T> | T): Promise<T> {
  process.stdout.write(`[${index}/${steps}] ${what}…\n`);
  const started = performance.now();
  const result = await run();
  process.stdout.write(`      done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}

/** Like `eventually`, but a timeout also says what was still missing at the last look. */
async function until(what: string, missing: () => Promise<string[]> | string[], timeoutMs: number): Promise<void> {
  let left: string[] = [];
  try {
    await eventually(what, async () => (left = await missing()).length === 0, timeoutMs);
  } catch (error) {
    // Keep the last failure of a look (say, kubectl's) as the cause, not the timeout itself.
    const last = error instanceof Error ? error.cause : undefined;
    throw new Error(`${error instanceof Error ? error.message : String(error)}; still missing: ${left.join(', ') || 'unknown'}`, last === undefined ? {} : { cause: last });
  }
}

/** The weft CLI against the testbed, as a user runs it. */
function weft(args: string[]): string {
  return execFileSync(process.execPath, [weftCli, '--kubeconfig', paths.kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Deployment {
  metadata: { name: string };
  spec: { replicas?: number };
  status: { readyReplicas?: number };
}

function unreadyDeployments(kubectl: (args: string[]) => string): string[] {
  const { items } = JSON.parse(kubectl(['get', 'deployments', '-n', 'demo', '-o', 'json'])) as { items: Deployment[] };
  if (items.length === 0) return ['the Deployments of demo.yaml'];
  return items
    .filter((d) => (d.status.readyReplicas ?? 0) < (d.spec.replicas ?? 1))
    .map((d) => `${d.metadata.name} (${d.status.readyReplicas ?? 0}/${d.spec.replicas ?? 1} ready)`);
}

/** The control plane's graph through the node port (the host reaches nodes, not pods). */
async function graph(): Promise<TrafficGraph | undefined> {
  try {
    const reply = await fetch(`http://${testbed.nodeAddress(1)}:${uiNodePort}/api/v1/graph?namespace=demo&window=10`, { signal: AbortSignal.timeout(3000) });
    return reply.ok ? ((await reply.json()) as TrafficGraph) : undefined;
  } catch {
    return undefined;
  }
}

async function missingEdges(): Promise<string[]> {
  const edges = (await graph())?.edges;
  if (edges === undefined) return [`an answer from the control plane on ${testbed.nodeAddress(1)}:${uiNodePort}`];
  return demoEdges.flatMap((id) => {
    const edge = edges.find((e) => e.id === id && e.requestsPerSecond > 0);
    if (edge === undefined) return [`${id} (no traffic seen)`];
    return edge.mtls ? [] : [`${id} (seen, but not over mTLS yet)`];
  });
}

export async function demoUp(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('make demo must run as root: the testbed makes network namespaces and cgroups and loads eBPF programs (try: sudo make demo)');
  const kubectl = kubectlOf(ensureHelm().kubectl);
  // An e2e suite holds this lease while it uses the testbed: the demo waits for it rather than pulling the cluster from under it.
  const release = await acquireDemoLease();
  try {
    await step(1, `starting the testbed cluster: etcd, the Kubernetes control plane, ${testbed.defaultNodes} emulated nodes (the first run builds the binaries, ~12 min)`, async () => {
      if (existsSync(stateDir)) process.stdout.write(`      a testbed is up already (an earlier make demo, or a test run kept): taking it down first\n`);
      await demoDown({ locked: true, quiet: true });
      await up();
    });
    await step(2, 'installing Weft with its Helm chart (helm install weft helm/weft -n weft-system)', () => installWeft());
    await step(3, 'deploying the sample app in namespace demo: load → frontend (HTTP) → catalog (gRPC) and cart (HTTP)', async () => {
      kubectl(['apply', '-f', demoManifest]);
      await until('the demo pods to be ready', () => unreadyDeployments(kubectl), 90_000);
    });
    await step(4, 'enrolling namespace demo: weft enroll ns demo (running pods join without restarting)', () => {
      process.stdout.write(`${indent(weft(['enroll', 'ns', 'demo']))}\n`);
    });
    await step(5, "waiting for the sample app's traffic to show in the map, over mTLS", () =>
      until("the sample app's edges over mTLS", missingEdges, 60_000),
    );
    await step(6, `forwarding the UI to ${uiUrl} (weft dashboard)`, () => startDashboard());
  } catch (error) {
    process.stderr.write(`\nmake demo failed; 'make demo-down' removes what it made (logs: ${paths.logs}/, pods' output: ${stateDir}/pods/<uid>/)\n`);
    throw error;
  } finally {
    release();
  }
  printNextSteps();
}

/** `weft dashboard` in the background, recorded by PID and start time like the testbed's own processes. */
async function startDashboard(): Promise<void> {
  const log = `${paths.logs}/${dashboardComponent}.log`;
  startComponent(dashboardComponent, process.execPath, [
    weftCli, 'dashboard', '--kubeconfig', paths.kubeconfig, '--address', demoUiAddress.host, '--port', String(demoUiAddress.port), '--no-open',
  ]);
  await eventually(`the UI to answer on ${uiUrl} (log: ${log}; is something else listening on port ${demoUiAddress.port}?)`, async () => {
    try {
      return (await fetch(uiUrl, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }, 20_000);
}

/**
 * Requests per second between the demo's workloads (a Deployment's pods count as one).
 * Inbound only: the agents on both ends count each request.
 */
const promqlExample = 'sum by (source_workload, destination_workload) (rate(weft_requests_total{direction="inbound",destination_namespace="demo"}[1m]))';

function printNextSteps(): void {
  process.stdout.write(`
Weft is running, with the sample app in namespace demo.

  The traffic map:     ${uiUrl}
  Agents' metrics:     http://${testbed.nodeAddress(1)}:15020/metrics  http://${testbed.nodeAddress(2)}:15020/metrics
  A PromQL example:    ${promqlExample}

Next, try:
  export KUBECONFIG=${paths.kubeconfig}
  alias weft='node ${weftCli}'
  weft check                  # is everything healthy?
  weft edges -n demo          # who talks to whom, with both mTLS identities
  weft stat deploy -n demo    # success rate, requests/s, latency, mTLS share
  weft unenroll ns demo       # traffic goes direct again; weft enroll ns demo brings it back
  make demo-down              # removes the cluster and everything the demo made
`);
}

/** Stops the UI forward (by its recorded PID, only while its start time matches), then the whole testbed. */
export async function demoDown(options: { locked?: boolean; quiet?: boolean } = {}): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('make demo-down must run as root, as make demo did (try: sudo make demo-down)');
  const release = options.locked ? () => undefined : await acquireDemoLease();
  try {
    await stopComponent(dashboardComponent);
    await down({ quiet: options.quiet ?? false });
  } finally {
    release();
  }
}
