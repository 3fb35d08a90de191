import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './log.js';

/** What an admin page answers. */
export interface AdminReply {
  status: number;
  body: string;
  type?: string;
}

export type AdminRoute = () => AdminReply | Promise<AdminReply>;

/** Tried for a path no route has: answers (and returns true) or leaves it (false, a 404 follows). */
export type AdminFallback = (request: IncomingMessage, response: ServerResponse) => boolean;

function reply(response: ServerResponse, { status, body, type }: AdminReply): void {
  response.writeHead(status, { 'content-type': type ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * The admin HTTP server of Weft's binaries (health, readiness, metrics, debug pages):
 * GET or HEAD of a known path, 404 naming the known paths otherwise, 405 for other
 * methods; a page that fails answers 500 and is logged, never crashing the process.
 */
export function createAdminServer(routes: Readonly<Record<string, AdminRoute>>, log: Logger, fallback?: AdminFallback): Server {
  const known = Object.keys(routes).join(', ');
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(response, { status: 405, body: 'only GET\n' });
      return;
    }
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route && fallback?.(request, response)) return;
    if (!route) {
      reply(response, { status: 404, body: `not found: try ${known}\n` });
      return;
    }
    Promise.resolve()
      .then(route)
      .then(
        (answer) => reply(response, answer),
        (error: unknown) => {
          log.error('admin page failed', { path, error });
          reply(response, { status: 500, body: `${path} failed; see the log\n` });
        },
      );
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  return server;
}

/** Listens on host:port, or on an already-bound listening fd; resolves with the port. */
export function listenAdmin(server: Server, where: { host: string; port: number } | { fd: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    };
    if ('fd' in where) server.listen({ fd: where.fd }, done);
    else server.listen(where.port, where.host, done);
  });
}
