import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Server } from 'node:http';
import { createLogger } from '@weft/api';
import { ControlMetrics } from './control-metrics.js';
import { startHttpServer } from './http-server.js';

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, body: await response.text() };
}

describe('the control plane HTTP port', () => {
  const log = createLogger({ component: 'test', level: 'error', write: () => undefined });
  const metrics = new ControlMetrics();
  let ready = false;
  let server: Server;
  let port: number;

  before(async () => {
    ({ server, port } = await startHttpServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, isReady: () => ready, log }));
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is healthy at once and ready only when told', async () => {
    assert.equal((await get(port, '/healthz')).status, 200);
    assert.equal((await get(port, '/readyz')).status, 503);
    ready = true;
    assert.equal((await get(port, '/readyz')).status, 200);
  });

  it('serves the CA counters in the Prometheus text format', async () => {
    const audit = metrics.caAudit(log);
    audit.issued({ identity: 'spiffe://cluster.local/ns/a/sa/b', nodeName: 'node1', notAfter: new Date() });
    audit.refused({ code: 'WEFT_AUTH_NOT_AGENT', reason: 'not the agent' });
    const { status, body } = await get(port, '/metrics');
    assert.equal(status, 200);
    assert.match(body, /^weft_ca_certificates_issued_total 1$/m);
    assert.match(body, /^weft_ca_refusals_total\{reason="WEFT_AUTH_NOT_AGENT"\} 1$/m);
    assert.match(body, /^# TYPE weft_control_process_cpu_seconds_total counter$/m);
  });

  it('answers unknown paths and methods with 404 and 405', async () => {
    assert.equal((await get(port, '/secret')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
  });
});
