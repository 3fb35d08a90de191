// make demo: the testbed cluster, Weft from its chart, a sample app speaking HTTP and gRPC
// under steady load, its namespace enrolled with the weft CLI, and the UI forwarded to
// localhost — each long step announced and timed. `make demo-down` is the testbed's down:
// the forward is one of its recorded components, so it goes with the rest.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TrafficGraph } from '@weft/api';
import { startComponent } from '../testbed/processes.js';
import { eventually, kubectlOf, podsOf, isReady } from '../testbed/testbed-client.js';
import { paths, testbed } from '../testbed/testbed-config.js';
import { acquireTestbedLease } from '../testbed/testbed-lease.js';
import { down, up } from '../testbed/testbed.js';
import { ensureHelm } from '../testbed/upstream.js';
import { installWeft, uiNodePort } from '../testbed/weft-chart.js';

export const demoManifest = fileURLToPath(new URL('../../testdata/apps/demo.yaml', import.meta.url));
export const weftCli = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url));
/** Where `make demo` forwards the UI. */
export const demoUiAddress = { host: '127.0.0.1', port: 8084 };
/** The edges the sample app makes, each over mTLS once enrolled. */
export const demoEdges = ['demo/load->demo/frontend', 'demo/frontend->demo/catalog', 'demo/frontend->demo/cart'];

const steps = 6;

async function step<T>(index: number, what: string, run: () => Promise<T> | T): Promise<T> {
  process.stdout.write(`[${index}/${steps}] ${what}…\n`);
  const started = performance.now();
  const result = await run();
  process.stdout.write(`      done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}

function weft(args: string[]): string {
  return execFileSync(process.execPath, [weftCli, '--kubeconfig', paths.kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function demoUp(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('make demo must run as root: the testbed makes network namespaces, cgroups and loads eBPF programs (try: sudo make demo)');
  const kubectl = kubectlOf(ensureHelm().kubectl);
  // An e2e suite holds this lease while it uses the testbed: the demo waits for it rather than pulling the cluster from under it.
  const release = await acquireTestbedLease();
  try {
    await step(1, 'starting the testbed cluster: etcd, the Kubernetes control plane, two emulated nodes (the first run builds the binaries, ~10 min)', async () => {
      await down({ quiet: true });
      await up();
    });
    await step(2, 'installing Weft with its Helm chart (helm install weft helm/weft -n weft-system)', () => installWeft());
    await step(3, 'deploying the sample app in namespace demo: load → frontend (HTTP) → catalog (gRPC) and cart (HTTP)', async () => {
      kubectl(['apply', '-f', demoManifest]);
      await eventually('the demo pods to be ready', () => {
        const pods = podsOf(kubectl, 'demo');
        return pods.length >= 6 && pods.every((p) => p.status.phase === 'Running' && isReady(p));
      }, 90_000);
    });
    await step(4, 'enrolling namespace demo: weft enroll ns demo (running pods join without restarting)', () => {
      process.stdout.write(`${weft(['enroll', 'ns', 'demo']).trimEnd().replace(/^/gm, '      ')}\n`);
    });
    await step(5, 'waiting for the sample app\'s traffic to show in the map', () =>
      eventually('the sample app\'s edges over mTLS', async () => {
        const edges = (await graph())?.edges ?? [];
        return demoEdges.every((id) => edges.some((e) => e.id === id && e.mtls && e.requestsPerSecond > 0));
      }, 60_000),
    );
    await step(6, `forwarding the UI to http://${demoUiAddress.host}:${demoUiAddress.port}/ (weft dashboard)`, () =>
      startDashboard(),
    );
  } catch (error) {
    process.stderr.write(`\nmake demo failed; 'make demo-down' removes what it made (logs: ${paths.logs}, pods' output: /run/weft-testbed/pods/)\n`);
    throw error;
  } finally {
    release();
  }
  printNextSteps();
}

async function startDashboard(): Promise<void> {
  const url = `http://${demoUiAddress.host}:${demoUiAddress.port}/`;
  startComponent('weft-dashboard', process.execPath, [weftCli, '--kubeconfig', paths.kubeconfig, 'dashboard', '--address', demoUiAddress.host, '--port', String(demoUiAddress.port), '--no-open']);
  await eventually(`the UI to answer on ${url} (log: ${paths.logs}/weft-dashboard.log)`, async () => {
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }, 20_000);
}

function printNextSteps(): void {
  const url = `http://${demoUiAddress.host}:${demoUiAddress.port}/`;
  process.stdout.write(`
Weft is running, with the sample app in namespace demo.

  The traffic map:     ${url}
  Agents' metrics:     http://${testbed.nodeAddress(1)}:15020/metrics  http://${testbed.nodeAddress(2)}:15020/metrics
  A PromQL example:    sum by (source_workload, destination_workload) (rate(weft_requests_total{destination_namespace="demo"}[1m]))

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

export async function demoDown(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('make demo-down must run as root, as make demo did');
  await down();
}
