// A stand-in for the control plane's :8084 in the UI bench: the built web app from
// ui/dist/app and a synthetic implementation of the UI contract (api/src/ui/traffic-graph.ts),
// REST and WebSocket, on 127.0.0.1 and a port of the kernel's choosing.
import type { LiveMessage, LiveRequest, TrafficGraph } from '@weft/api';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { scoped, syntheticDetail } from './ui-synthetic-mesh.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

interface Watch {
  namespace: string | null;
  windowSeconds: number;
}

export interface UiBenchServer {
  url: string;
  /** Sends `graph` to every live client as the control plane would, every interval. */
  broadcast(graph: TrafficGraph): void;
  /** How many live clients are connected. */
  clients(): number;
  close(): Promise<void>;
}

export async function startUiBenchServer(options: { appDir: string; graph: () => TrafficGraph; intervalSeconds: number }): Promise<UiBenchServer> {
  const { appDir, graph } = options;
  const watching = new Map<WebSocket, Watch>();
  const message = (current: TrafficGraph, watch: Watch): string =>
    JSON.stringify({
      type: 'graph',
      graph: { ...scoped(current, watch.namespace), windowSeconds: watch.windowSeconds },
      intervalSeconds: options.intervalSeconds,
    } satisfies LiveMessage);

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://bench');
    if (url.pathname === '/api/v1/graph') {
      const windowSeconds = Number(url.searchParams.get('window') ?? 60);
      return json(response, 200, { ...scoped(graph(), url.searchParams.get('namespace')), windowSeconds });
    }
    const workload = /^\/api\/v1\/workloads\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (workload) {
      const detail = syntheticDetail(graph(), `${decodeURIComponent(workload[1] ?? '')}/${decodeURIComponent(workload[2] ?? '')}`);
      return detail ? json(response, 200, detail) : json(response, 404, { error: 'no such workload' });
    }
    // The app itself; every other path is the app (it routes in the hash).
    // normalize() of an absolute path cannot climb above /: files stay inside appDir.
    const path = normalize(url.pathname);
    const file = path === '/' || extname(path) === '' ? 'index.html' : path;
    try {
      const body = await readFile(join(appDir, file));
      response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  }

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://bench').pathname !== '/api/v1/live') {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      watching.set(ws, { namespace: null, windowSeconds: 60 });
      ws.on('message', (data: Buffer) => {
        const request = JSON.parse(data.toString('utf8')) as LiveRequest;
        const watch = { namespace: request.namespace ?? null, windowSeconds: request.windowSeconds ?? 60 };
        watching.set(ws, watch);
        // The new scope at once, so the bench never waits out an interval.
        ws.send(message(graph(), watch));
      });
      ws.on('close', () => watching.delete(ws));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    broadcast(current) {
      for (const [ws, watch] of watching) ws.send(message(current, watch));
    },
    clients: () => watching.size,
    async close() {
      for (const ws of watching.keys()) ws.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
