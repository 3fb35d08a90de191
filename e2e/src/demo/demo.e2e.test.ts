// Tier 3 (e2e): the whole `make demo` path as a new user takes it — run `make demo` from the
// repository root, open the address it prints, see the sample app's edges there over mTLS
// with their SPIFFE identities (and gRPC to the catalog in the agents' metrics), then
// `make demo-down` stops the forward and leaves nothing behind.
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { TrafficGraph } from '@weft/api';
import { agentMetrics, sample } from '../suites/mesh-testbed.js';
import { eventually } from '../testbed/testbed-client.js';
import { startTimeOf } from '../testbed/processes.js';
import { paths, stateDir } from '../testbed/testbed-config.js';
import { acquireTestbedLease } from '../testbed/testbed-lease.js';
import { dashboardComponent, demoEdges, demoUiAddress, env } from './demo-config.js';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const running = new Set<ChildProcess>();

/** Runs make with a target in the repository as a user would, streaming its output; rejects with that output. */
function make(target: string): Promise<{ output: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // This test holds the testbed lease from make demo to make demo-down; the demo takes it as its own.
    const child = spawn('make', ['--no-print-directory', target], { cwd: repository, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [env.WEFT_DEMO_LEASE_HOLDER]: String(process.pid) } });
    running.add(child);
    let output = '';
    const take = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) process.stdout.write(`# make ${target} | ${line}\n`);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => {
      running.delete(child);
      if (code === 0) resolve({ output, seconds: (performance.now() - started) / 1000 });
      else reject(new Error(`make ${target} exited ${code ?? 'by a signal'}:\n${output}`));
    });
  });
}

const parentOf = (pid: string): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  } catch {
    return undefined;
  }
};

/** After a timeout: SIGTERM to a make still running and everything under it (its recipe's node). */
function stopRunning(): void {
  for (const child of running) {
    if (child.pid === undefined) continue;
    const tree = new Set([String(child.pid)]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && !tree.has(p))) {
        const parent = parentOf(pid);
        if (parent === undefined || !tree.has(parent)) continue;
        tree.add(pid);
        grew = true;
      }
    }
    for (const pid of tree) {
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // Gone already.
      }
    }
  }
}

const listening = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

describe('e2e: make demo, as a new user', { timeout: 900_000 }, () => {
  it('prints a UI address that answers with the sample app’s edges over mTLS; make demo-down leaves nothing', async (t) => {
    if (process.getuid?.() !== 0) throw new Error('the demo test must run as root (make demo makes network namespaces, cgroups, eBPF programs); run `sudo make test`');
    const release = await acquireTestbedLease();
    let passed = false;
    t.after(async () => {
      stopRunning();
      // WEFT_E2E_KEEP=1 leaves a failed demo up to look into, as the suites do (the next suite takes it down).
      if (passed || process.env.WEFT_E2E_KEEP !== '1') await make('demo-down').catch(() => undefined);
      release();
    });

    const demo = await make('demo');
    process.stdout.write(`# make demo took ${demo.seconds.toFixed(1)} s\n`);
    for (let i = 1; i <= 6; i++) assert.match(demo.output, new RegExp(`\\[${i}/6\\] [^\\n]+…\\n(?:.*\\n)*?\\s+done in \\d+\\.\\d s`), `step ${i} is announced and timed`);
    assert.match(demo.output, /captured 6 of 6 running pod\(s\)/, 'the enroll summary of the weft CLI');
    assert.match(demo.output, /A PromQL example: +sum by \(source_workload, destination_workload\) \(rate\(weft_requests_total\{direction="inbound"/);
    assert.match(demo.output, /export KUBECONFIG=\/\S+\/kubeconfig/);
    for (const next of ['weft check', 'weft edges -n demo', 'weft stat deploy -n demo', 'weft unenroll ns demo', 'make demo-down']) assert.ok(demo.output.includes(next), `suggests ${next}`);
    const url = /The traffic map: +(http:\/\/\S+\/)/.exec(demo.output)?.[1];
    assert.equal(url, `http://${demoUiAddress.host}:${demoUiAddress.port}/`);
    const forward = JSON.parse(readFileSync(join(paths.pids, `${dashboardComponent}.json`), 'utf8')) as { pid: number; startTime: string; command: string };
    assert.match(forward.command, /cli\/dist\/main\.js dashboard /, 'the forward is weft dashboard');
    assert.equal(startTimeOf(forward.pid), forward.startTime, 'the forward runs after make demo returned');

    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>[^<]*Weft/i, 'the web app itself');

    const graph = await eventually('the sample app’s edges through the printed address', async () => {
      const reply = (await (await fetch(`${url}api/v1/graph?namespace=demo&window=10`)).json()) as TrafficGraph;
      return demoEdges.every((id) => reply.edges.some((e) => e.id === id && e.mtls && e.requestsPerSecond > 0)) ? reply : undefined;
    }, 30_000);
    const identities = new Map(graph.nodes.map((n) => [n.id, n.identities]));
    for (const name of ['load', 'frontend', 'catalog', 'cart']) assert.deepEqual(identities.get(`demo/${name}`), [`spiffe://cluster.local/ns/demo/sa/${name}`]);
    assert.ok(graph.edges.filter((e) => demoEdges.includes(e.id)).every((e) => e.protocol === 'http' && e.successRate === 1), 'requests seen on every edge, none failing');
    // The graph says 'http' for gRPC too; the agents' metrics name the protocol (and pods as *_workload, hence the identity).
    const metrics = await Promise.all(['node1', 'node2'].map((node) => agentMetrics(node)));
    const grpc = metrics.reduce((sum, text) => sum + sample(text, 'weft_requests_total', { destination_identity: 'spiffe://cluster.local/ns/demo/sa/catalog', protocol: 'grpc', mtls: 'true' }), 0);
    assert.ok(grpc > 0, 'the frontend asks the catalog over gRPC, in mTLS');

    const downed = await make('demo-down');
    assert.match(downed.output, /no process, namespace, link, cgroup or state file of the testbed is left/);
    assert.notEqual(startTimeOf(forward.pid), forward.startTime, `the forward (PID ${forward.pid}) is stopped`);
    assert.equal(existsSync(stateDir), false, `${stateDir} is gone`);
    assert.deepEqual(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('wtb-')), [], 'no testbed network namespace');
    assert.equal(await listening(demoUiAddress.host, demoUiAddress.port), false, 'nothing listens on the UI address');
    await make('demo-down');
    passed = true;
  });
});
