// Tier 3 (e2e), suite "cli": the `weft` command against the testbed with Weft installed by
// its chart — check --pre (and the hint when cgroup v2 is not where it looks), check, enroll and
// unenroll with their summaries, edges with both mTLS identities, stat by workload, pod and
// namespace, the dashboard forward (page, REST and the live WebSocket through the API
// server), and check failing with its hint when the control plane is gone.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { StatsTable, TrafficGraph } from '@weft/api';
import { eventually } from '../testbed/testbed-client.js';
import { paths, testbed } from '../testbed/testbed-config.js';
import { deployShop, startMeshTestbed, type Kubectl } from './mesh-testbed.js';

const weftMain = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url));

function weft(args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [weftMain, '--kubeconfig', paths.kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON's type, as with Response.json()
function weftJson<T>(args: string[]): T {
  const result = weft([...args, '-o', 'json']);
  assert.equal(result.code, 0, `weft ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface CheckReport {
  success: boolean;
  checks: { id: string; status: string; hint?: string; items?: { description: string; status: string; hint?: string }[] }[];
}

describe('e2e suite: cli', { timeout: 600_000 }, () => {
  let kubectl: Kubectl;
  let stop: () => Promise<void>;
  const scratch = mkdtempSync(join(tmpdir(), 'weft-cli-e2e-'));

  before(async () => {
    ({ kubectl, stop } = await startMeshTestbed());
    await deployShop(kubectl, { enrolled: false });
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await stop();
  });

  it('check --pre: the cluster, the permissions and this kernel all pass (exit 0)', () => {
    const result = weft(['check', '--pre', '--pin-root', testbed.bpfPinRoot]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const heading of ['kubernetes-api', 'kubernetes-version', 'kubernetes-permissions', 'kernel of this machine']) assert.ok(result.stdout.includes(heading), heading);
    assert.match(result.stdout, /√ Kubernetes is v1\.29 or newer \(v1\.34\.\d+\)/);
    assert.match(result.stdout, /√ every node runs Linux 5\.15 or newer \(2 node\(s\)\)/);
    assert.match(result.stdout, /Status: all checks passed/);
  });

  it('check --pre with the cgroup v2 mount missing from the mount table: that line fails with its hint (exit 1), the rest still pass', () => {
    const mountinfo = join(scratch, 'mountinfo');
    writeFileSync(mountinfo, readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => !l.includes(' - cgroup2 ')).join('\n'));
    const result = weft(['check', '--pre', '--pin-root', testbed.bpfPinRoot, '--mountinfo', mountinfo]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /× a cgroup v2 hierarchy is mounted\n\s+hint: mount one \('mount -t cgroup2 none/);
    const report = JSON.parse(weft(['check', '--pre', '--pin-root', testbed.bpfPinRoot, '--mountinfo', mountinfo, '-o', 'json']).stdout) as CheckReport;
    const kernel = report.checks.find((c) => c.id === 'node-kernel-features');
    assert.deepEqual(kernel?.items?.filter((i) => i.status !== 'ok').map((i) => i.description), ['a cgroup v2 hierarchy is mounted']);
    assert.ok(report.checks.filter((c) => c.id !== 'node-kernel-features').every((c) => c.status === 'ok'));
  });

  it('check: an installed mesh is healthy (exit 0), every check passed', () => {
    const report = weftJson<CheckReport>(['check']);
    assert.ok(report.success);
    assert.deepEqual(report.checks.filter((c) => c.status !== 'ok').map((c) => c.id), []);
    assert.ok(report.checks.length >= 8);
  });

  it('enroll ns: the label, and a summary of the running pods captured with their identities', () => {
    const result = weft(['enroll', 'ns', 'shop']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /namespace\/shop labelled weft\.dev\/mesh=enabled\ncaptured 3 of 3 running pod\(s\) in \d+\.\d s/);
    assert.match(result.stdout, /node\d\s+server-\S+\s+spiffe:\/\/cluster\.local\/ns\/shop\/sa\/server/);
    assert.ok(!result.stdout.includes('loner'), 'the pod labelled out of the mesh is not listed');
    assert.equal(kubectl(['get', 'namespace', 'shop', '-o', 'jsonpath={.metadata.labels.weft\\.dev/mesh}']), 'enabled');
  });

  it('edges: client → server over mTLS with both identities', async () => {
    const edge = await eventually('the client → server edge', () => weftJson<{ source: string; destination: string; mtls: boolean; sourceIdentities: string[]; destinationIdentities: string[]; requestsPerSecond: number }[]>(['edges', '-n', 'shop', '--window', '10']).find((e) => e.source === 'shop/client' && e.destination === 'shop/server' && e.mtls), 30_000);
    assert.deepEqual(edge.sourceIdentities, ['spiffe://cluster.local/ns/shop/sa/client']);
    assert.deepEqual(edge.destinationIdentities, ['spiffe://cluster.local/ns/shop/sa/server']);
    assert.ok(edge.requestsPerSecond > 0);
    const table = weft(['edges', '-n', 'shop']);
    assert.match(table.stdout, /^SOURCE\s+DESTINATION\s+CLIENT IDENTITY\s+SERVER IDENTITY\s+MTLS/);
    assert.match(table.stdout, /shop\/client\s+shop\/server\s+spiffe:\/\/cluster\.local\/ns\/shop\/sa\/client\s+spiffe:\/\/cluster\.local\/ns\/shop\/sa\/server\s+yes\s+http/);
  });

  it('stat deploy|pod|ns: golden metrics of the server, by workload, by each pod, by namespace', async () => {
    // The client sends 20 requests/s over mTLS, the loner (kept out of the mesh) 5/s in plaintext: a share of 0.8.
    // Right after enrolling, the first reports cover only part of their interval: the figures settle within a window.
    let last: unknown;
    const byWorkload = await eventually('the server to show 25 requests/s (±20 %) with an mTLS share of 0.8', () => {
      const table = weftJson<StatsTable>(['stat', 'deploy', '-n', 'shop', '--window', '10']);
      const server = table.rows.find((r) => r.name === 'server');
      last = server;
      const share = server?.mtlsShare ?? 0;
      return server && Math.abs(share - 0.8) < 0.05 && Math.abs(server.requestsPerSecond - 25) < 5 ? server : undefined;
    }, 45_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; last row: ${JSON.stringify(last)}`);
    });
    assert.equal(byWorkload.successRate, 1);
    assert.ok(byWorkload.latency && byWorkload.latency.p99 > 0);
    const pods = weftJson<StatsTable>(['stat', 'pod', '-n', 'shop', '--window', '10']).rows.filter((r) => r.name.startsWith('server-'));
    assert.equal(pods.length, 2, 'one row per server pod');
    const namespaces = weftJson<StatsTable>(['stat', 'ns', 'shop', '--window', '10']).rows;
    assert.deepEqual(namespaces.map((r) => r.name), ['shop']);
    const table = weft(['stat', 'deploy', 'server', '-n', 'shop']);
    assert.match(table.stdout, /^NAMESPACE\s+WORKLOAD\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99\s+MTLS\s+IDENTITY\nshop\s+server\s+100\.00%\s+\d+\.\drps\s+\S+ms\s+\S+ms\s+\S+ms\s+\d+\.\d\d%\s+spiffe:\/\/cluster\.local\/ns\/shop\/sa\/server\n$/);
  });

  it('dashboard: localhost forwards the page, the REST API and the live WebSocket through the API server', async () => {
    const child = spawn(process.execPath, [weftMain, '--kubeconfig', paths.kubeconfig, 'dashboard', '--port', '0', '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const url = await eventually('the dashboard address', () => /Weft dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], 20_000);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      const graph = (await (await fetch(`${url}api/v1/graph?namespace=shop`)).json()) as TrafficGraph;
      assert.ok(graph.edges.some((e) => e.id === 'shop/client->shop/server'));
      const socket = new WebSocket(`${url.replace('http:', 'ws:')}api/v1/live`);
      const [message] = (await once(socket, 'message')) as [Buffer];
      socket.close();
      const live = JSON.parse(message.toString()) as { type: string; graph?: TrafficGraph };
      assert.equal(live.type, 'graph');
      assert.ok(live.graph?.edges.some((e) => e.id === 'shop/client->shop/server'));
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, 'Ctrl-C ends the dashboard cleanly');
  });

  it('unenroll ns: the label is gone and no agent holds a pod of it', () => {
    const result = weft(['unenroll', 'ns', 'shop']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /namespace\/shop labelled weft\.dev\/mesh-\nreleased 3 of 3 running pod\(s\)/);
  });

  it('enroll ns of a namespace that does not exist: exit 1, and nothing is created', () => {
    const result = weft(['enroll', 'ns', 'nowhere']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /namespace nowhere does not exist \(hint: kubectl get namespaces\)/);
    assert.match(kubectl(['get', 'namespaces', '-o', 'name']), /^(?![\s\S]*namespace\/nowhere)/);
  });

  it('check: with the control plane scaled to zero, it fails (exit 1) and says what to do', async () => {
    kubectl(['-n', 'weft-system', 'scale', 'deploy/weft-control', '--replicas=0']);
    const report = await eventually('check to see the control plane gone', () => {
      const result = weft(['check', '-o', 'json']);
      const parsed = JSON.parse(result.stdout) as CheckReport;
      return result.code === 1 && parsed.checks.find((c) => c.id === 'control-available')?.status === 'failed' ? parsed : undefined;
    }, 60_000);
    assert.match(report.checks.find((c) => c.id === 'control-available')?.hint ?? '', /kubectl -n weft-system describe deploy\/weft-control/);
    assert.equal(report.checks.find((c) => c.id === 'control-ready')?.status, 'skipped');
    const table = weft(['check']);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /× the control plane Deployment is available \(0 of 0 replicas available\)\n\s+hint: /);
    assert.match(table.stdout, /Status: some checks failed/);
  });
});
