import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '@weft/api';

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Ready to serve: the trust anchor is loaded and the pod watch has listed. */
  isReady: () => boolean;
  log: Logger;
}

function reply(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** The control plane's HTTP port: /healthz, /readyz, /metrics (the UI comes later). */
export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(response, 405, 'only GET\n');
      return;
    }
    switch (path) {
      case '/healthz':
        reply(response, 200, 'ok\n');
        return;
      case '/readyz':
        if (options.isReady()) reply(response, 200, 'ready\n');
        else reply(response, 503, 'not ready: the trust anchor or the pod watch is not ready yet\n');
        return;
      case '/metrics':
        options.registry.metrics().then(
          (text) => reply(response, 200, text, options.registry.contentType),
          (error: unknown) => {
            options.log.error('metrics failed', { error });
            reply(response, 500, 'metrics failed\n');
          },
        );
        return;
      default:
        reply(response, 404, 'not found: try /healthz, /readyz or /metrics\n');
    }
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : options.port };
}
