import type { ViewFilter } from './view-filter.js';

/**
 * The contract's URLs, resolved against the page's own address, so the app works wherever
 * it is served from: `kubectl port-forward` to localhost, or under a path prefix behind a
 * proxy (the paths are relative on purpose).
 */

export function graphUrl(page: string, filter: ViewFilter): URL {
  const url = new URL('api/v1/graph', page);
  url.searchParams.set('window', String(filter.windowSeconds));
  if (filter.namespace !== null) url.searchParams.set('namespace', filter.namespace);
  return url;
}

export function workloadUrl(page: string, workload: { namespace: string; name: string }, windowSeconds: number): URL {
  const url = new URL(`api/v1/workloads/${encodeURIComponent(workload.namespace)}/${encodeURIComponent(workload.name)}`, page);
  url.searchParams.set('window', String(windowSeconds));
  return url;
}

/** ws: for http:, wss: for https: (a port-forward is plain http on localhost). */
export function liveUrl(page: string): URL {
  const url = new URL('api/v1/live', page);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  return url;
}
