// The UI's HTTP side on a real server on port 0: the REST API, bad queries refused with a
// reason, the web app's files (and nothing outside them), the live WebSocket.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { createLogger, latencyBoundsMs, type LiveMessage, type StatsTable, type TrafficGraph } from '@weft/api';
import { startHttpServer } from '../http-server.js';
import { Registry } from 'prom-client';
import { TelemetryStore } from '../telemetry/telemetry-store.js';
import { attachLiveUpdates } from './live-updates.js';
import { uiRoutes } from './ui-routes.js';

const log = createLogger({ component: 'ui-test', level: 'error' });

/** A raw GET (fetch would normalise paths such as /../). */
function get(port: number, path: string): Promise<{ status: number; type: string; cache: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), cache: String(res.headers['cache-control']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the UI server (REST, files, WebSocket)', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let live: { close(): void };
  const store = new TelemetryStore({ resolver: { workloadOf: () => undefined } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Weft</title>');
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    const counts = new Array<number>(latencyBoundsMs.length + 1).fill(0);
    counts[3] = 40;
    const at = Date.now();
    const edge = (ns: string) => ({
      source: { namespace: ns, name: 'client', uid: `${ns}-c`, identity: '' },
      destination: { namespace: ns, name: 'server', uid: `${ns}-s`, identity: '' },
      reporter: 'destination' as const,
      mtls: true,
      requests: 40,
      responsesByClass: [0, 40, 0, 0, 0] as [number, number, number, number, number],
      latencyCounts: counts,
      bytesSent: 1,
      bytesReceived: 1,
      connectionsOpened: 1,
    });
    store.ingest({ intervalEndMs: at, intervalMs: 2000, edges: [edge('shop'), edge('billing')] });
    ({ server, port } = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), isReady: () => true, ui: uiRoutes({ store, appDir: dir, log }), log }));
    live = attachLiveUpdates({ server, store, log, intervalMs: 100 });
  });

  after(() => {
    live.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the graph and a workload page, filtered by namespace', async () => {
    const all = JSON.parse((await get(port, '/api/v1/graph')).body) as TrafficGraph;
    assert.equal(all.edges.length, 2);
    assert.deepEqual(all.namespaces, ['billing', 'shop']);
    const shop = JSON.parse((await get(port, '/api/v1/graph?window=300&namespace=shop')).body) as TrafficGraph;
    assert.deepEqual(shop.edges.map((e) => e.id), ['shop/client->shop/server']);
    assert.equal(shop.windowSeconds, 300);
    const page = await get(port, '/api/v1/workloads/shop/server?window=60');
    assert.equal(page.status, 200);
    assert.equal((JSON.parse(page.body) as { inbound: unknown[] }).inbound.length, 1);
  });

  it('answers the stats of inbound traffic by workload, pod and namespace (weft stat)', async () => {
    const answer = await get(port, '/api/v1/stats');
    assert.equal(answer.status, 200);
    assert.match(answer.type, /application\/json/);
    assert.equal(answer.cache, 'no-store');
    const byWorkload = JSON.parse(answer.body) as StatsTable;
    assert.deepEqual([byWorkload.by, byWorkload.windowSeconds], ['workload', 60]);
    assert.equal(byWorkload.rows[0]?.requestsPerSecond, 20, '40 requests over the 2 s seen');
    assert.equal(byWorkload.rows[0].mtlsShare, 1);
    assert.deepEqual(byWorkload.rows.map((r) => `${r.namespace}/${r.name}`), ['billing/server', 'shop/server']);
    const shop = JSON.parse((await get(port, '/api/v1/stats?by=namespace&namespace=shop&window=30')).body) as StatsTable;
    assert.deepEqual([shop.by, shop.windowSeconds, shop.rows.map((r) => r.name)], ['namespace', 30, ['shop']]);
    const named = JSON.parse((await get(port, '/api/v1/stats?by=workload&name=server&namespace=billing')).body) as StatsTable;
    assert.deepEqual(named.rows.map((r) => r.namespace), ['billing']);
  });

  it('refuses bad queries with the reason, and names the API for unknown paths', async () => {
    for (const [path, status, text] of [
      ['/api/v1/graph?window=5', 400, 'window=5 must be a whole number of seconds from 10 to 900'],
      ['/api/v1/graph?window=abc', 400, 'window=abc'],
      ['/api/v1/graph?namespace=Not_A_Name', 400, 'namespace=Not_A_Name is not a namespace name'],
      ['/api/v1/stats?by=deploy', 400, 'by=deploy must be one of workload, pod, namespace'],
      ['/api/v1/stats?window=5', 400, 'window=5 must be a whole number of seconds from 10 to 900'],
      ['/api/v1/stats?namespace=Bad_Name', 400, 'namespace=Bad_Name is not a namespace name'],
      ['/api/v1/stats?name=Bad%20Name', 400, 'name=Bad Name is not a Kubernetes object name'],
      ['/api/v1/stats?by=pod&window=901', 400, 'window=901 must be a whole number of seconds from 10 to 900'],
      ['/api/v1/workloads/shop/nobody', 404, 'no traffic of shop/nobody'],
      ['/api/v1/nothing', 404, '/api/v1/graph, /api/v1/stats, /api/v1/workloads/<namespace>/<name>, /api/v1/live'],
      ['/api/v1/workloads/%zz/x', 400, 'not a well-formed URL'],
    ] as const) {
      const answer = await get(port, path);
      assert.equal(answer.status, status, path);
      assert.match(answer.type, /application\/json/);
      assert.ok((JSON.parse(answer.body) as { error: string }).error.includes(text), `${path}: ${answer.body}`);
    }
  });

  it('serves the app: its files, index.html for its own routes, never a file outside it', async () => {
    const index = await get(port, '/');
    assert.equal(index.status, 200);
    assert.match(index.type, /text\/html/);
    assert.equal(index.cache, 'no-cache');
    const asset = await get(port, '/assets/app-1a2b.js');
    assert.match(asset.type, /text\/javascript/);
    assert.match(asset.cache, /immutable/);
    assert.equal((await get(port, '/workload/shop/server')).body, index.body);
    const escape = await get(port, '/../../../../etc/passwd');
    assert.equal(escape.body, index.body, 'a path out of the folder is the app, not the file');
    assert.equal((await get(port, '/healthz')).body, 'ok\n', 'the admin pages are still there');
  });

  it('pushes the graph over the WebSocket, follows what the client watches, and answers a bad message', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/live`);
    const messages: LiveMessage[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as LiveMessage));
    await once(socket, 'open');
    const next = async (check: (m: LiveMessage) => boolean): Promise<LiveMessage> => {
      for (let i = 0; i < 100; i++) {
        const found = messages.find(check);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no such message among ${JSON.stringify(messages.map((m) => m.type))}`);
    };
    const first = await next((m) => m.type === 'graph');
    assert.ok(first.type === 'graph' && first.graph.edges.length === 2 && first.intervalSeconds === 0.1);
    socket.send('not json');
    const error = await next((m) => m.type === 'error');
    assert.ok(error.type === 'error' && /not JSON/.test(error.message));
    socket.send(JSON.stringify({ type: 'watch', windowSeconds: 5 }));
    await next((m) => m.type === 'error' && /window=5/.test(m.message));
    messages.length = 0;
    socket.send(JSON.stringify({ type: 'watch', namespace: 'billing', windowSeconds: 120 }));
    const filtered = await next((m) => m.type === 'graph' && m.graph.windowSeconds === 120);
    assert.ok(filtered.type === 'graph' && filtered.graph.edges.every((e) => e.source.startsWith('billing/')));
    socket.close();
  });

  it('says how to build the app when it is missing, instead of a bare 404', async () => {
    const missing = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), isReady: () => true, ui: uiRoutes({ store, appDir: join(dir, 'absent'), log }), log });
    try {
      const answer = await get(missing.port, '/');
      assert.equal(answer.status, 503);
      assert.match(answer.body, /the web UI is not built .* run 'make build'/);
    } finally {
      missing.server.close();
    }
  });

  it('refuses an upgrade on any other path', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
    const [error] = (await once(socket, 'error')) as [Error];
    assert.match(error.message, /404/);
  });
});
