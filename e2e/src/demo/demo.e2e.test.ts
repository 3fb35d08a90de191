// Tier 3 (e2e): the whole `make demo` path as a new user takes it — run `make demo` from the
// repository root, open the address it prints, see the sample app's edges there over mTLS
// with their SPIFFE identities, then `make demo-down` leaves nothing behind.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { TrafficGraph } from '@weft/api';
import { eventually } from '../testbed/testbed-client.js';
import { stateDir } from '../testbed/testbed-config.js';
import { demoEdges, demoUiAddress } from './demo.js';

const repository = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs make with a target in the repository, as a user would; resolves to its output, rejects with it. */
function make(target: string): Promise<{ output: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('make', [target], { cwd: repository, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve({ output, seconds: (performance.now() - started) / 1000 }) : reject(new Error(`make ${target} exited ${code ?? 'by a signal'}:\n${output}`))));
  });
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
    t.after(() => make('demo-down').catch(() => undefined));
    const demo = await make('demo');
    process.stdout.write(`# make demo took ${demo.seconds.toFixed(1)} s\n`);
    for (let i = 1; i <= 6; i++) assert.match(demo.output, new RegExp(`\\[${i}/6\\] [^\\n]+…\\n(?:.*\\n)*?\\s+done in \\d+\\.\\d s`), `step ${i} is announced and timed`);
    assert.match(demo.output, /captured 6 of 6 running pod\(s\)/, 'the enroll summary of the weft CLI');
    assert.match(demo.output, /A PromQL example: +sum by \(source_workload, destination_workload\) \(rate\(weft_requests_total/);
    assert.match(demo.output, /weft check/);
    assert.match(demo.output, /make demo-down/);
    const url = /The traffic map: +(http:\/\/\S+\/)/.exec(demo.output)?.[1];
    assert.equal(url, `http://${demoUiAddress.host}:${demoUiAddress.port}/`);

    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>[^<]*Weft/i, 'the web app itself');

    const graph = await eventually('the sample app’s edges through the printed address', async () => {
      const reply = (await (await fetch(`${url}api/v1/graph?namespace=demo&window=10`)).json()) as TrafficGraph;
      return demoEdges.every((id) => reply.edges.some((e) => e.id === id && e.mtls && e.requestsPerSecond > 0)) ? reply : undefined;
    }, 30_000);
    const identities = new Map(graph.nodes.map((n) => [n.id, n.identities]));
    for (const name of ['load', 'frontend', 'catalog', 'cart']) assert.deepEqual(identities.get(`demo/${name}`), [`spiffe://cluster.local/ns/demo/sa/${name}`]);
    assert.ok(graph.edges.filter((e) => demoEdges.includes(e.id)).every((e) => e.protocol === 'http' && e.successRate === 1), 'HTTP and gRPC requests seen, none failing');

    const downed = await make('demo-down');
    assert.match(downed.output, /no process, namespace, link, cgroup or state file of the testbed is left/);
    assert.equal(existsSync(stateDir), false, `${stateDir} is gone`);
    assert.deepEqual(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('wtb-')), [], 'no testbed network namespace');
    assert.equal(await listening(demoUiAddress.host, demoUiAddress.port), false, 'nothing listens on the UI address');
  });
});
