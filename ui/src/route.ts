/** The app's pages, kept in the URL's hash so any page can be bookmarked and the server needs no routes. */
export type Route = { page: 'map' } | { page: 'table' } | { page: 'workload'; namespace: string; name: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((part) => part !== '');
  const [page, namespace, ...rest] = parts;
  if (page === 'table' && parts.length === 1) return { page: 'table' };
  // Names never hold a slash, but an outside address might; keep the remainder whole.
  if (page === 'workload' && namespace !== undefined && rest.length > 0) {
    return { page: 'workload', namespace: decode(namespace), name: decode(rest.join('/')) };
  }
  return { page: 'map' };
}

export function routeHash(route: Route): string {
  switch (route.page) {
    case 'map':
      return '#/';
    case 'table':
      return '#/table';
    case 'workload':
      return `#/workload/${encodeURIComponent(route.namespace)}/${encodeURIComponent(route.name)}`;
  }
}

/** The workload page of a node id "<namespace>/<name>". */
export function workloadRoute(nodeId: string): Route {
  const slash = nodeId.indexOf('/');
  return slash < 0 ? { page: 'map' } : { page: 'workload', namespace: nodeId.slice(0, slash), name: nodeId.slice(slash + 1) };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
