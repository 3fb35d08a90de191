import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { dnsLabel, dnsSubdomain, windowLimits, type AdminFallback, type Logger, type StatsGrouping } from '@weft/api';
import type { TelemetryStore } from '../telemetry/telemetry-store.js';

export interface UiRoutesOptions {
  store: TelemetryStore;
  /** The built web app (ui/dist/app); a missing folder is answered with how to build it. */
  appDir: string;
  log: Logger;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
}

/** `window` and `namespace` of a query, or the reason they cannot be used. */
export function parseWindowQuery(params: URLSearchParams): { windowSeconds: number; namespace?: string } | { error: string } {
  const text = params.get('window');
  const windowSeconds = text === null ? windowLimits.default : Number(text);
  if (!Number.isInteger(windowSeconds) || windowSeconds < windowLimits.min || windowSeconds > windowLimits.max) {
    return { error: `window=${text ?? ''} must be a whole number of seconds from ${windowLimits.min} to ${windowLimits.max}` };
  }
  const namespace = params.get('namespace') ?? undefined;
  if (namespace !== undefined && namespace !== '' && !dnsLabel.test(namespace)) return { error: `namespace=${namespace} is not a namespace name` };
  return { windowSeconds, ...(namespace ? { namespace } : {}) };
}

const groupings: readonly StatsGrouping[] = ['workload', 'pod', 'namespace'];

/** `by` (default 'workload'), `name`, `window` and `namespace` of a stats query, or the reason they cannot be used. */
export function parseStatsQuery(params: URLSearchParams): { by: StatsGrouping; windowSeconds: number; namespace?: string; name?: string } | { error: string } {
  const window = parseWindowQuery(params);
  if ('error' in window) return window;
  const byText = params.get('by') ?? 'workload';
  const by = groupings.find((g) => g === byText);
  if (!by) return { error: `by=${byText} must be one of ${groupings.join(', ')}` };
  // Workloads and pods are named by the same rule (a DNS subdomain), namespaces by a stricter one.
  const name = params.get('name') ?? undefined;
  if (name !== undefined && name !== '' && !dnsSubdomain.test(name)) return { error: `name=${name} is not a Kubernetes object name (${dnsSubdomain.expected})` };
  return { ...window, by, ...(name ? { name } : {}) };
}

/**
 * The UI's HTTP side on the control plane's port (contract: api/src/ui/traffic-graph.ts):
 * the REST API from the telemetry store, and the web app's files, any other path being the
 * app itself (its routes are in the fragment). Paths that leave the app folder are refused.
 */
export function uiRoutes(options: UiRoutesOptions): AdminFallback {
  const { store, appDir, log } = options;
  const root = normalize(appDir) + sep;
  const serveFile = (request: IncomingMessage, response: ServerResponse, path: string): void => {
    const file = normalize(join(appDir, path === '/' ? 'index.html' : decodeURIComponent(path)));
    const target = file.startsWith(root) && existsSync(file) && statSync(file).isFile() ? file : join(appDir, 'index.html');
    if (!existsSync(target)) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`the web UI is not built (${appDir} is missing): run 'make build'\n`);
      return;
    }
    // Vite names assets by their hash: they never change; index.html must be read again.
    const immutable = target.includes(`${sep}assets${sep}`);
    response.writeHead(200, { 'content-type': types[extname(target)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    if (request.method === 'HEAD') response.end();
    else createReadStream(target).on('error', () => response.destroy()).pipe(response);
  };
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://weft');
    const path = url.pathname;
    try {
      if (path === '/api/v1/graph') {
        const query = parseWindowQuery(url.searchParams);
        if ('error' in query) json(response, 400, { error: query.error });
        else json(response, 200, store.graph(query));
        return true;
      }
      if (path === '/api/v1/stats') {
        const query = parseStatsQuery(url.searchParams);
        if ('error' in query) json(response, 400, { error: query.error });
        else json(response, 200, store.stats(query));
        return true;
      }
      const workload = /^\/api\/v1\/workloads\/([^/]+)\/([^/]+)$/.exec(path);
      if (workload) {
        const query = parseWindowQuery(url.searchParams);
        const namespace = decodeURIComponent(workload[1] ?? '');
        const name = decodeURIComponent(workload[2] ?? '');
        if ('error' in query) json(response, 400, { error: query.error });
        else {
          const detail = store.workload(namespace, name, query.windowSeconds);
          if (detail) json(response, 200, detail);
          else json(response, 404, { error: `no traffic of ${namespace}/${name} in the last 15 minutes` });
        }
        return true;
      }
      if (path.startsWith('/api/')) {
        json(response, 404, { error: `${path} is not part of the API: /api/v1/graph, /api/v1/stats, /api/v1/workloads/<namespace>/<name>, /api/v1/live` });
        return true;
      }
      serveFile(request, response, path);
    } catch (error) {
      if (error instanceof URIError) {
        json(response, 400, { error: `the path is not a well-formed URL: ${request.url ?? ''}` });
        return true;
      }
      log.error('UI request failed', { path, error });
      if (!response.headersSent) json(response, 500, { error: 'the request failed; see the control plane log' });
    }
    return true;
  };
}
