import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { createAdminServer, listenAdmin, type AdminFallback, type Logger } from '@weft/api';

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Ready to serve: the trust anchor is loaded and the pod watch has listed. */
  isReady: () => boolean;
  /** The web UI and its API (every path the admin pages do not have). */
  ui?: AdminFallback;
  log: Logger;
}

/** The control plane's HTTP port: /healthz, /readyz, /metrics, and the web UI. */
export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; port: number }> {
  const server = createAdminServer(
    {
      '/healthz': () => ({ status: 200, body: 'ok\n' }),
      '/readyz': () => (options.isReady() ? { status: 200, body: 'ready\n' } : { status: 503, body: 'not ready: the trust anchor or the pod watch is not ready yet\n' }),
      '/metrics': async () => ({ status: 200, body: await options.registry.metrics(), type: options.registry.contentType }),
    },
    options.log,
    options.ui,
  );
  return { server, port: await listenAdmin(server, { host: options.host, port: options.port }) };
}
