// Tier 1 (unit): telemetry end to end over real gRPC and TLS on port 0 — the agent's
// EdgeStats and TelemetryReporter, the control plane's Telemetry service and store. Only
// the token reviewer is a stand-in (the real TokenReview runs in the e2e tier).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { EdgeStats, TelemetryReporter } from '@weft/agent';
import { createLogger, telemetryWire } from '@weft/api';
import { AgentAuthenticator, generateTrustAnchor, issueServingIdentity, startGrpcServer, stopGrpcServer, TelemetryStore, telemetryService, type TrustAnchor } from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';
import type { Server } from '@grpc/grpc-js';

const log = createLogger({ component: 'telemetry-test', level: 'error' });
const serverName = 'weft-control.weft-system.svc';
const client = { namespace: 'shop', name: 'client', uid: 'u-c', identity: 'spiffe://cluster.local/ns/shop/sa/client' };
const server = { namespace: 'shop', name: 'server-abc-1', uid: 'u-s', identity: 'spiffe://cluster.local/ns/shop/sa/server' };

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 3000): Promise<T> {
  for (let i = 0; i < timeoutMs / 10; i++) {
    const value = check();
    if (value !== undefined) return value;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('telemetry over gRPC (agent → control plane)', () => {
  let anchor: TrustAnchor;
  let grpc: { server: Server; port: number };
  let store: TelemetryStore;
  const reporters: TelemetryReporter[] = [];

  const startControl = async (port = 0): Promise<void> => {
    store = new TelemetryStore({ resolver: { workloadOf: ({ uid }) => (uid === 'u-s' ? { namespace: 'shop', name: 'server' } : undefined) } });
    const agents = new AgentAuthenticator({
      reviewer: { review: (token) => Promise.resolve(token === 'agent' ? { authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' } : { authenticated: false }) },
      agent: { namespace: 'weft-system', name: 'weft-agent' },
    });
    const serving = await issueServingIdentity(anchor, { dns: [serverName] });
    grpc = await startGrpcServer({ host: '127.0.0.1', port, serving, authority: trustingAuthority({ anchor }), telemetry: telemetryService({ agents, store, log }) });
  };

  const reporter = (stats: EdgeStats): TelemetryReporter => {
    const r = new TelemetryReporter({ address: `127.0.0.1:${grpc.port}`, serverName, trustBundlePem: anchor.root.certificate.toString('pem'), token: () => Promise.resolve('agent'), stats, log, intervalMs: 50 });
    reporters.push(r);
    r.start();
    return r;
  };

  before(async () => {
    anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    await startControl();
  });

  after(async () => {
    for (const r of reporters) r.stop();
    await stopGrpcServer(grpc.server, 100);
  });

  it('brings what the proxy counted into the control plane’s map: requests, classes, latency, bytes', async () => {
    const stats = new EdgeStats();
    reporter(stats);
    const edge = stats.counter({ reporter: 'destination', source: client, destination: server, mtls: true });
    edge.opened();
    for (let i = 0; i < 19; i++) edge.request(200, 0.003);
    edge.request(503, 0.003);
    edge.bytes(1000, 2000);
    const found = await until('the edge in the store', () => store.graph({ windowSeconds: 60 }).edges.find((e) => e.id === 'shop/client->shop/server'));
    assert.equal(found.successRate, 0.95, 'one 5xx in 20');
    assert.equal(found.mtls, true);
    assert.ok(found.latency && found.latency.p50 > 2.5 && found.latency.p50 <= 5, JSON.stringify(found.latency));
    const totalRequests = store.workload('shop', 'server', 60)?.series.reduce((n, p) => n + p.requestsPerSecond * 5, 0);
    assert.equal(Math.round(totalRequests ?? 0), 20, 'every request counted once');
    assert.deepEqual(stats.take(), [], 'the reporter took everything');
  });

  it('refuses a stream whose token is not the agent’s', async () => {
    const raw = new telemetryWire.TelemetryClient(`127.0.0.1:${grpc.port}`, credentials.createSsl(Buffer.from(anchor.root.certificate.toString('pem'))), { 'grpc.ssl_target_name_override': serverName });
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer forged');
    const error = await new Promise<ServiceError | null>((resolve) => {
      const stream = raw.report(metadata, (e) => resolve(e));
      stream.end();
    });
    raw.close();
    assert.equal(error?.code, 16);
    assert.match(error.details, /WEFT_AUTH_TOKEN_INVALID/);
  });

  it('keeps counting while the control plane is away, without holding what it cannot send, and reports again when it returns', async () => {
    const stats = new EdgeStats();
    const r = reporter(stats);
    const edge = stats.counter({ reporter: 'source', source: client, destination: { namespace: '', name: '198.51.100.9:443', uid: '', identity: '' }, mtls: false });
    edge.request(200, 0.001);
    await until('the first report', () => (r.status().sent > 0 ? true : undefined));
    const { port } = grpc;
    await stopGrpcServer(grpc.server, 100);
    for (let i = 0; i < 10; i++) {
      edge.request(200, 0.001);
      await sleep(20);
    }
    await until('a report dropped while away', () => (r.status().dropped > 0 ? true : undefined));
    await startControl(port);
    edge.request(200, 0.001);
    // gRPC's reconnect back-off (1 s, growing) decides when the channel tries again.
    const external = await until('a report to the new control plane', () => {
      edge.request(200, 0.001);
      return store.graph({ windowSeconds: 60 }).edges.find((e) => e.target === 'outside/198.51.100.9:443');
    }, 20_000);
    assert.equal(external.mtls, false);
  });
});
