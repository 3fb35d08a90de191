import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphUrl, liveUrl, workloadUrl } from './api-urls.js';
import { parseRoute, routeHash, workloadRoute } from './route.js';

describe('routes', () => {
  it('reads the three pages from the hash, the map by default', () => {
    assert.deepEqual(parseRoute(''), { page: 'map' });
    assert.deepEqual(parseRoute('#/'), { page: 'map' });
    assert.deepEqual(parseRoute('#/table'), { page: 'table' });
    assert.deepEqual(parseRoute('#/workload/shop/server'), { page: 'workload', namespace: 'shop', name: 'server' });
    assert.deepEqual(parseRoute('#/nonsense/x'), { page: 'map' });
    assert.deepEqual(parseRoute('#/workload/shop'), { page: 'map' });
  });

  it('round-trips names that need escaping', () => {
    const route = workloadRoute('outside/10.0.0.1:443');
    assert.deepEqual(route, { page: 'workload', namespace: 'outside', name: '10.0.0.1:443' });
    assert.deepEqual(parseRoute(routeHash(route)), route);
  });
});

describe('API URLs', () => {
  it('resolve against the page, so a path prefix is kept', () => {
    assert.equal(graphUrl('http://localhost:8084/', { windowSeconds: 60, namespace: null }).href, 'http://localhost:8084/api/v1/graph?window=60');
    assert.equal(
      graphUrl('https://proxy.example/weft/#/table', { windowSeconds: 300, namespace: 'shop' }).href,
      'https://proxy.example/weft/api/v1/graph?window=300&namespace=shop',
    );
    assert.equal(workloadUrl('http://localhost:8084/', { namespace: 'shop', name: 'server' }, 900).href, 'http://localhost:8084/api/v1/workloads/shop/server?window=900');
  });

  it('use ws: behind a plain port-forward and wss: behind TLS', () => {
    assert.equal(liveUrl('http://127.0.0.1:8084/#/workload/shop/server').href, 'ws://127.0.0.1:8084/api/v1/live');
    assert.equal(liveUrl('https://weft.example/ui/?x=1').href, 'wss://weft.example/ui/api/v1/live');
  });
});
