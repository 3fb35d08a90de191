// Tier 2 (privileged): the data path between two emulated nodes (two-node-lab.ts): real
// eBPF capture, two agents (one per node, each with its own cgroup and pins), pods as
// network namespaces routed through their nodes, apps as real processes, the real CA code
// signing their certificates. Needs root; fails (never skips) without it.
//
//   pod A 198.19.1.2 ─┐                         ┌─ pod B 198.19.2.2 (server; VIP 198.18.10.10)
//   pod D 198.19.3.2 ─┤ node1 198.18.0.11 ══ node2 198.18.0.12 ├─ pod C 198.19.4.2 (not in the mesh)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateTrustAnchor } from '@weft/control';
import { appClientTimeoutMs, sample, snapshotFor, trustDomain, TwoNodeLab, vip, waitForLine } from './two-node-lab.js';

describe('the data path between two nodes (privileged)', () => {
  let t: TwoNodeLab;

  before(async () => {
    t = await TwoNodeLab.start();
  });

  after(() => t.stop());

  it('enrolls each node’s pods and gives each a certificate of its own identity', () => {
    assert.deepEqual(t.agents.node1.enrolled().map((w) => w.identity).sort(), ['spiffe://cluster.local/ns/shop/sa/client', 'spiffe://cluster.local/ns/shop/sa/local-client']);
    assert.deepEqual(t.agents.node2.enrolled().map((w) => w.identity), ['spiffe://cluster.local/ns/shop/sa/server']);
    assert.equal(t.issued.length, 3);
  });

  it('carries HTTP/1.1 from A to B by pod IP and by VIP; the wire between the nodes shows only TLS to 15008', async () => {
    const pcap = join(mkdtempSync(join(tmpdir(), 'weft-pcap-')), 'wire.pcap');
    const capture = t.lab.spawn(t.topology.n1, 'tcpdump', ['-i', 'fab0', '--immediate-mode', '-U', '-n', '-w', pcap, 'tcp']);
    let captureLog = '';
    capture.stderr?.on('data', (chunk: Buffer) => (captureLog += chunk.toString()));
    await waitForLine(capture, 'listening on', 'stderr');
    const marker = '/plaintext-marker-7f3a9c';
    const byIp = await t.client('a', ['http1', '198.19.2.2', '8080', '20', marker]);
    const byVip = await t.client('a', ['http1', vip, '80', '20', marker]);
    assert.deepEqual(byIp.statuses, Array<number>(20).fill(200));
    assert.deepEqual(byVip.statuses, Array<number>(20).fill(200));
    capture.kill('SIGINT');
    await once(capture, 'exit');
    const raw = readFileSync(pcap);
    rmSync(join(pcap, '..'), { recursive: true, force: true });
    assert.ok(raw.length > 1000, `the capture saw the traffic (${raw.length} bytes of pcap; tcpdump: ${captureLog})`);
    assert.equal(raw.includes(Buffer.from(marker)), false, 'no byte of the plaintext request crossed the wire');
    assert.equal(raw.includes(Buffer.from('x'.repeat(64))), false, 'no byte of the plaintext response crossed the wire');
    const packets = execFileSync('tcpdump', ['-r', '-', '-n', '-q'], { input: raw, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }).trim().split('\n');
    assert.ok(packets.length > 40);
    for (const packet of packets) assert.match(packet, /\.15008[ :]/, `every packet is to or from 15008: ${packet}`);

    // b belongs to the workload "server" (its Deployment): both sides name it so; a has no owner, its own name.
    const shop = { source_workload: 'client-a', destination_workload: 'server', mtls: 'true' };
    const outbound = await t.metricsOf('node1');
    const inbound = await t.metricsOf('node2');
    assert.equal(sample(outbound, 'weft_requests_total', { ...shop, direction: 'outbound', response_code: '200' }), 40);
    assert.equal(sample(inbound, 'weft_requests_total', { ...shop, direction: 'inbound', response_code: '200', source_identity: 'spiffe://cluster.local/ns/shop/sa/client' }), 40);
    assert.equal(sample(inbound, 'weft_request_duration_seconds_count', { ...shop, direction: 'inbound' }), 40);
    assert.ok(sample(outbound, 'weft_request_duration_seconds_bucket', { ...shop, direction: 'outbound', le: '+Inf' }) === 40);
  });

  it('counts HTTP/2 requests and gRPC responses on both sides', async () => {
    const h2 = await t.client('a', ['http2', vip, '81', '15', '/status/503']);
    assert.deepEqual(h2.statuses, Array<number>(15).fill(503));
    const grpc = await t.client('a', ['http2', '198.19.2.2', '8081', '5', '/grpc']);
    assert.deepEqual(grpc.statuses, Array<number>(5).fill(200));
    for (const [node, direction] of [['node1', 'outbound'], ['node2', 'inbound']] as const) {
      const text = await t.metricsOf(node);
      assert.equal(sample(text, 'weft_requests_total', { direction, protocol: 'http2', response_code: '503', response_class: '5xx' }), 15, `${node} http2: ${text.split('\n').filter((l) => l.startsWith('weft_') && !l.startsWith('weft_agent_') && !l.includes('_bucket')).join('\n')}`);
      assert.equal(sample(text, 'weft_requests_total', { direction, protocol: 'grpc', response_code: '200' }), 5, `${node} grpc`);
    }
  });

  it('takes the same-node fast path from A to D, still authorized and counted on both sides', async () => {
    const result = await t.client('a', ['http1', '198.19.3.2', '8080', '7', '/']);
    assert.deepEqual(result.statuses, Array<number>(7).fill(200));
    const text = await t.metricsOf('node1');
    for (const direction of ['outbound', 'inbound']) assert.equal(sample(text, 'weft_requests_total', { direction, source_workload: 'client-a', destination_workload: 'client-d' }), 7);
  });

  it('moves 100 MB both ways intact with half-close, 1,000 concurrent connections, and a server-speaks-first protocol', async () => {
    const bulk = await t.client('a', ['bulk', '198.19.2.2', '8082', '100']);
    assert.equal(bulk.receivedBytes, 100 << 20);
    assert.equal(bulk.received, bulk.sent);
    const many = await t.client('a', ['concurrent', '198.19.2.2', '8082', '1000']);
    assert.deepEqual(many, { ok: 1000, failed: [] });
    const banner = await t.client('a', ['banner', '198.19.2.2', '8083']);
    assert.deepEqual(banner, { banner: '220 weft-test ready\r\n', reply: 'bye\r\n' });
  });

  it('accepts plaintext from outside the mesh in PERMISSIVE (labelled mtls=false) and refuses it in STRICT', async () => {
    const permissive = await t.client('c', ['http1', '198.19.2.2', '8080', '3', '/']);
    assert.deepEqual(permissive.statuses, [200, 200, 200]);
    assert.equal(sample(await t.metricsOf('node2'), 'weft_requests_total', { direction: 'inbound', source_workload: 'outsider-c', destination_workload: 'server', mtls: 'false' }), 3);
    const all = Object.values(t.pods);
    await t.agents.node2.apply(snapshotFor('node2', all, { version: '2', settings: { trustDomain, defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY', namespaceModes: { shop: 'STRICT' } } }));
    const strict = await t.client('c', ['connect', '198.19.2.2', '8080']);
    assert.notEqual(strict.outcome, 'data', 'STRICT refuses plaintext');
    assert.ok(sample(await t.metricsOf('node2'), 'weft_authorization_denials_total', { direction: 'inbound', reason: 'strict-plaintext' }) >= 1);
    const stillMeshed = await t.client('a', ['http1', '198.19.2.2', '8080', '2', '/']);
    assert.deepEqual(stillMeshed.statuses, [200, 200], 'mesh traffic is unaffected by STRICT');
  });

  it('makes a connection denied by policy fail fast, and counts it', async () => {
    const all = Object.values(t.pods);
    await t.agents.node2.apply(
      snapshotFor('node2', all, {
        version: '3',
        policies: [{ name: 'no-local-client', namespace: 'shop', selector: { app: 'server' }, action: 'DENY', rules: [{ fromIdentities: ['spiffe://cluster.local/ns/shop/sa/local-client'] }] }],
      }),
    );
    const denied = await t.client('d', ['connect', '198.19.2.2', '8080']);
    assert.notEqual(denied.outcome, 'data');
    assert.ok(Number(denied.ms) < appClientTimeoutMs / 5, `failed fast: in ${String(denied.ms)} ms, against the app's own ${appClientTimeoutMs} ms`);
    assert.equal(sample(await t.metricsOf('node2'), 'weft_authorization_denials_total', { direction: 'inbound', reason: 'denied-by-policy', policy: 'shop/no-local-client' }), 1);
    assert.equal(sample(await t.metricsOf('node1'), 'weft_authorization_denials_total', { direction: 'outbound', reason: 'denied-by-policy' }), 1);
    const allowed = await t.client('a', ['http1', '198.19.2.2', '8080', '1', '/']);
    assert.deepEqual(allowed.statuses, [200], 'other sources are still allowed');
  });

  it('refuses bad HBONE input cleanly — garbage, a cut handshake, a foreign or expired certificate, a tunnel to a pod elsewhere — counts it, and serves everyone else', async () => {
    const foreign = await t.identity('foreign', { uris: ['spiffe://other.example/ns/shop/sa/client'], signWith: await generateTrustAnchor({ trustDomain: 'other.example' }) });
    const expired = await t.identity('expired', { uris: ['spiffe://cluster.local/ns/shop/sa/client'], now: new Date(Date.now() - 3_600_000) });
    const valid = await t.identity('valid', { uris: ['spiffe://cluster.local/ns/shop/sa/client'] });
    const failedBefore = sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'tls-handshake' });
    for (const args of [['garbage'], ['truncated'], ['connect', foreign.dir, '198.19.2.2:8080'], ['connect', expired.dir, '198.19.2.2:8080']]) {
      const [mode = '', ...rest] = args;
      const result = await t.probe('c', [mode, '198.19.2.2', '15008', ...rest]);
      assert.notEqual(result.outcome, 'response', `${mode}: no tunnel (${JSON.stringify(result)})`);
    }
    const failedAfter = sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'tls-handshake' });
    assert.equal(failedAfter - failedBefore, 4, 'each bad handshake is counted');
    const elsewhere = await t.probe('c', ['connect', '198.19.2.2', '15008', valid.dir, '198.19.1.2:8080']);
    assert.deepEqual(elsewhere, { outcome: 'response', status: 400, refusal: 'not-this-workload' });
    assert.equal(sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'not-this-workload' }), 1);
    const fine = await t.client('a', ['http1', '198.19.2.2', '8080', '3', '/']);
    assert.deepEqual(fine.statuses, [200, 200, 200], 'the agent keeps serving everyone else');
  });

  it('gives up on a pod whose agent does not listen after 2 s, and reaches one whose agent is a moment behind', async () => {
    // C (node2) joins the mesh as node1's agent sees it; node2's agent has not opened C's 15008.
    const joined = Object.values({ ...t.pods, c: { ...t.pods.c, enrolled: true, netnsPath: t.topology.pods.c } });
    await t.agents.node1.apply(snapshotFor('node1', joined, { version: '10' }));
    let late: NodeJS.Timeout | undefined;
    try {
      const failedBefore = sample(await t.metricsOf('node1'), 'weft_tcp_connections_failed_total', { direction: 'outbound', reason: 'connect-failed' });
      const refused = await t.client('a', ['connect', '198.19.4.2', '8080']);
      assert.notEqual(refused.outcome, 'data');
      assert.ok(Number(refused.ms) >= 1500 && Number(refused.ms) < 4000, `gave up after the retry budget (${String(refused.ms)} ms)`);
      assert.equal(sample(await t.metricsOf('node1'), 'weft_tcp_connections_failed_total', { direction: 'outbound', reason: 'connect-failed' }) - failedBefore, 1, 'counted once');
      // Now node2's agent learns it 500 ms after the client starts: the refused connects are tried again until C listens.
      late = setTimeout(() => void t.agents.node2.apply(snapshotFor('node2', joined, { version: '10' })), 500);
      const started = performance.now();
      const reached = await t.client('a', ['http1', '198.19.4.2', '8080', '2', '/']);
      assert.deepEqual(reached.statuses, [200, 200]);
      assert.ok(performance.now() - started >= 400, 'the request did wait for node2');
      assert.equal(sample(await t.metricsOf('node2'), 'weft_requests_total', { direction: 'inbound', source_workload: 'client-a', destination_workload: 'outsider-c', mtls: 'true' }), 2, 'through HBONE');
    } finally {
      clearTimeout(late);
      await t.agents.node1.apply(snapshotFor('node1', Object.values(t.pods), { version: '12' }));
      await t.agents.node2.apply(snapshotFor('node2', Object.values(t.pods), { version: '12' }));
    }
  });
});
