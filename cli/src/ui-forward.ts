import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { proxyPath, type Cluster, type ProxyTarget } from './cluster.js';

// Hop-by-hop headers (RFC 9110 §7.6.1) are the forwarder's own, not passed on.
const hopHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'authorization']);

function forwardedHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !hopHeaders.has(name)) out[name] = value;
  return out;
}

/**
 * localhost → the control plane's UI, through the API server's service proxy with the
 * kubeconfig's credentials: plain requests and the live-update WebSocket alike. The UI's
 * own paths are kept; a path the API server already prefixed (it rewrites links in HTML)
 * is not prefixed twice.
 */
export class UiForward {
  readonly #cluster: Cluster;
  readonly #prefix: string;
  readonly #server: Server;
  readonly #log: (line: string) => void;

  constructor(options: { cluster: Cluster; target: ProxyTarget; log?: (line: string) => void }) {
    this.#cluster = options.cluster;
    this.#prefix = proxyPath(options.target, '');
    this.#log = options.log ?? (() => undefined);
    this.#server = createServer((req, res) => void this.#forward(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head));
  }

  /** Listens; resolves to the port (0 picks one). */
  listen(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, address, () => {
        this.#server.off('error', reject);
        const bound = this.#server.address();
        resolve(typeof bound === 'object' && bound ? bound.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #path(url: string | undefined): string {
    const path = url ?? '/';
    return path.startsWith(`${this.#prefix}/`) ? path : `${this.#prefix}${path}`;
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const options = await this.#cluster.requestOptions(req.method ?? 'GET', this.#path(req.url), {});
      const upstream = httpsRequest({ ...options, headers: { ...forwardedHeaders(req), ...(options.headers as Record<string, string>) } }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.statusMessage, reply.headers);
        reply.pipe(res);
      });
      upstream.on('error', (error) => this.#fail(res, error));
      req.pipe(upstream);
    } catch (error) {
      this.#fail(res, error);
    }
  }

  #fail(res: ServerResponse, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#log(`weft dashboard: ${message}`);
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`weft dashboard: cannot reach the control plane through the Kubernetes API: ${message}\n`);
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    try {
      const options = await this.#cluster.requestOptions(req.method ?? 'GET', this.#path(req.url), {});
      const headers = { ...forwardedHeaders(req), ...(options.headers as Record<string, string>), connection: 'Upgrade', upgrade: req.headers.upgrade ?? 'websocket' };
      const upstream = httpsRequest({ ...options, headers });
      upstream.on('upgrade', (reply, remote, remoteHead) => {
        remote.on('error', () => socket.destroy());
        const lines = [`HTTP/1.1 ${reply.statusCode ?? 101} ${reply.statusMessage ?? 'Switching Protocols'}`];
        for (let i = 0; i < reply.rawHeaders.length; i += 2) lines.push(`${reply.rawHeaders[i] ?? ''}: ${reply.rawHeaders[i + 1] ?? ''}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (remoteHead.length > 0) socket.write(remoteHead);
        if (head.length > 0) remote.write(head);
        remote.pipe(socket).pipe(remote);
        socket.on('close', () => remote.destroy());
        remote.on('close', () => socket.destroy());
      });
      upstream.on('response', (reply) => {
        socket.end(`HTTP/1.1 ${reply.statusCode ?? 502} ${reply.statusMessage ?? ''}\r\nconnection: close\r\n\r\n`);
        reply.resume();
      });
      upstream.on('error', (error) => {
        this.#log(`weft dashboard: live updates: ${error.message}`);
        socket.destroy();
      });
      upstream.end();
    } catch (error) {
      this.#log(`weft dashboard: live updates: ${error instanceof Error ? error.message : String(error)}`);
      socket.destroy();
    }
  }
}
