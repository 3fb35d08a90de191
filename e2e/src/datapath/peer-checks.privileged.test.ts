// Tier 2 (privileged): the security checks of the data path, each triggered for real on
// the two-node lab (two-node-lab.ts): a destination that proves another identity, client
// certificates the HBONE listener must refuse, requests it must refuse, REGISTRY_ONLY, and
// certificates rotating every second under traffic. Needs root; fails (never skips) without it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { appClientTimeoutMs, fixtures, sample, snapshotFor, TwoNodeLab, waitForLine } from './two-node-lab.js';

const server = '198.19.2.2';
const outsider = '198.19.4.2';

describe('the data path’s peer checks and refusals (privileged)', () => {
  let t: TwoNodeLab;

  before(async () => {
    t = await TwoNodeLab.start();
  });

  after(() => t.stop());

  it('refuses a destination that proves another identity: the client fails, wrong-peer is counted, no byte reaches the impostor', async () => {
    // C's address answered by an impostor holding a valid mesh certificate of another identity.
    const impostorId = await t.identity('impostor', { uris: ['spiffe://cluster.local/ns/legacy/sa/impostor'] });
    const impostor = t.lab.spawn(t.topology.pods.c, process.execPath, [join(fixtures, 'tls-impostor.js'), outsider, '15008', impostorId.dir]);
    let seen = { connections: 0, closed: 0, bytes: 0 };
    impostor.stdout?.on('data', (chunk: Buffer) => {
      const last = chunk.toString().trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
      if (last) seen = JSON.parse(last) as typeof seen;
    });
    await waitForLine(impostor, 'listening');
    // node1's agent believes C is an enrolled workload of identity legacy/default.
    const all = Object.values({ ...t.pods, c: { ...t.pods.c, enrolled: true } });
    await t.agents.node1.apply(snapshotFor('node1', all, { version: '20' }));
    try {
      const before = sample(await t.metricsOf('node1'), 'weft_tcp_connections_failed_total', { direction: 'outbound', reason: 'wrong-peer' });
      const result = await t.client('a', ['connect', outsider, '8080']);
      assert.notEqual(result.outcome, 'data', `the client got no answer (${JSON.stringify(result)})`);
      const after = sample(await t.metricsOf('node1'), 'weft_tcp_connections_failed_total', { direction: 'outbound', reason: 'wrong-peer' });
      assert.equal(after - before, 1, 'counted as wrong-peer');
      // Once the impostor has seen the connection close, everything that could reach it has.
      for (let wait = 0; wait < 200 && !(seen.connections >= 1 && seen.closed === seen.connections); wait++) await sleep(10);
      assert.ok(seen.connections >= 1 && seen.closed === seen.connections, `the impostor was reached, and the connection closed (${JSON.stringify(seen)})`);
      assert.equal(seen.bytes, 0, 'not one byte of the tunnel reached the impostor');
    } finally {
      impostor.kill();
      await once(impostor, 'exit');
      await t.apply(Object.values(t.pods), { version: '21' });
    }
  });

  it('refuses client certificates that name no one, two identities or another trust domain, even when the mesh root signed them', async () => {
    const cases = {
      'two URI SANs': ['spiffe://cluster.local/ns/shop/sa/client', 'spiffe://cluster.local/ns/shop/sa/admin'],
      'no URI SAN': [],
      'another trust domain': ['spiffe://other.example/ns/shop/sa/client'],
      'not a SPIFFE ID': ['https://cluster.local/ns/shop/sa/client'],
    };
    const counted = async (): Promise<number> => sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'no-peer-identity' });
    for (const [name, uris] of Object.entries(cases)) {
      const identity = await t.identity(name.replace(/\W+/g, '-'), { uris, raw: true });
      const before = await counted();
      const result = await t.probe('c', ['connect', server, '15008', identity.dir, `${server}:8080`]);
      assert.notEqual(result.outcome, 'response', `${name}: no tunnel (${JSON.stringify(result)})`);
      assert.equal((await counted()) - before, 1, `${name}: counted as no-peer-identity`);
    }
  });

  it('refuses a request that is not CONNECT and an authority that is not an address of the pod, with the status and reason, and counts each', async () => {
    const valid = await t.identity('valid-client', { uris: ['spiffe://cluster.local/ns/shop/sa/client'] });
    const failed = async (reason: string): Promise<number> => sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason });
    const cases: [string[], Record<string, unknown>, string][] = [
      [[`${server}:8080`, 'GET'], { outcome: 'response', status: 405, refusal: 'only CONNECT' }, 'not-connect'],
      [['server.shop.svc:8080'], { outcome: 'response', status: 400, refusal: 'authority must be ip:port' }, 'bad-authority'],
      [[server], { outcome: 'response', status: 400, refusal: 'authority must be ip:port' }, 'bad-authority'],
      [[`${server}:99999`], { outcome: 'response', status: 400, refusal: 'authority must be ip:port' }, 'bad-authority'],
      [['198.19.3.2:8080'], { outcome: 'response', status: 400, refusal: 'not-this-workload' }, 'not-this-workload'],
    ];
    for (const [args, expected, reason] of cases) {
      const before = await failed(reason);
      assert.deepEqual(await t.probe('c', ['connect', server, '15008', valid.dir, ...args]), expected, args.join(' '));
      assert.equal((await failed(reason)) - before, 1, `${args.join(' ')}: counted as ${reason}`);
    }
    const fine = await t.client('a', ['http1', server, '8080', '2', '/']);
    assert.deepEqual(fine.statuses, [200, 200], 'and serves everyone else');
  });

  it('under REGISTRY_ONLY refuses and counts a connection to an address outside the registry, which ALLOW_ANY lets through', async () => {
    // An address the registry does not know: a second one of C's, where its app answers too.
    const unknown = '198.19.4.3';
    t.lab.addAddress(t.topology.pods.c, 'eth0', `${unknown}/24`);
    try {
      const allowed = await t.client('a', ['http1', unknown, '8080', '1', '/']);
      assert.deepEqual(allowed.statuses, [200], 'ALLOW_ANY: passed through');
      await t.apply(Object.values(t.pods), { version: '30', settings: { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'REGISTRY_ONLY', namespaceModes: {} } });
      const denials = async (): Promise<number> => sample(await t.metricsOf('node1'), 'weft_authorization_denials_total', { direction: 'outbound', reason: 'outside-registry' });
      const before = await denials();
      const refused = await t.client('a', ['connect', unknown, '8080']);
      assert.notEqual(refused.outcome, 'data', `REGISTRY_ONLY: refused (${JSON.stringify(refused)})`);
      assert.ok(Number(refused.ms) < appClientTimeoutMs / 5, `and at once (${String(refused.ms)} ms, against the app's own ${appClientTimeoutMs} ms)`);
      assert.equal((await denials()) - before, 1, 'counted as outside-registry');
      const meshed = await t.client('a', ['http1', server, '8080', '1', '/']);
      assert.deepEqual(meshed.statuses, [200], 'destinations in the registry are still reached');
    } finally {
      await t.apply(Object.values(t.pods), { version: '31' });
    }
  });
});

describe('certificate rotation through the data path (privileged)', () => {
  let t: TwoNodeLab;

  before(async () => {
    t = await TwoNodeLab.start({ certificateTtlSeconds: 2, identityBackoff: { initialMs: 50, maxMs: 200 } });
  });

  after(() => t.stop());

  it('renews 2-second certificates under 30 s of new and long-lived connections: nothing fails, no certificate is presented past expiry, new tunnels use new certificates', async () => {
    const work = mkdtempSync(join(tmpdir(), 'weft-rotation-'));
    const pcap = join(work, 'syn.pcap');
    const capture = t.lab.spawn(t.topology.n1, 'tcpdump', ['-i', 'fab0', '--immediate-mode', '-U', '-n', '-w', pcap, 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and dst port 15008']);
    await waitForLine(capture, 'listening on', 'stderr');
    const issuedBefore = t.issued.length;
    const tlsFailuresBefore = sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'tls-handshake' });
    const load = t.lab.spawn(t.topology.pods.a, process.execPath, [join(fixtures, 'steady-load.js'), JSON.stringify({ host: server, httpPort: 8080, echoPort: 8082, rate: 20, keepAlive: 1, streams: 3, streamSeconds: 10, streamBytes: 128 * 1024 })], { cgroup: t.cgroups.node1 });
    let last = '';
    load.stdout?.on('data', (chunk: Buffer) => (last = chunk.toString().trim().split('\n').at(-1) ?? last));
    try {
      await sleep(30_000);
      const exited = once(load, 'exit');
      load.kill('SIGTERM');
      await exited;
      capture.kill('SIGINT');
      await once(capture, 'exit');
      const totals = JSON.parse(last) as { fresh: { ok: number; failed: number; errors: object }; kept: { ok: number; failed: number; errors: object }; streams: { intact: number; broken: number; errors: object } };
      const syns = execFileSync('tcpdump', ['-r', '-', '-n', '-q'], { input: readFileSync(pcap), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] }).trim().split('\n').filter(Boolean).length;
      const renewals = t.issued.slice(issuedBefore);
      const clientRenewals = renewals.filter((r) => r.identity.endsWith('/sa/client')).length;
      const tlsFailures = sample(await t.metricsOf('node2'), 'weft_tcp_connections_failed_total', { direction: 'inbound', reason: 'tls-handshake' }) - tlsFailuresBefore;
      process.stdout.write(`# rotation: ${renewals.length} certificates issued in 30 s (${clientRenewals} for the client), ${syns} new tunnels' connections, requests ${totals.fresh.ok}+${totals.kept.ok}, streams ${totals.streams.intact}\n`);
      assert.equal(totals.fresh.failed + totals.kept.failed, 0, `no request failed (${JSON.stringify([totals.fresh.errors, totals.kept.errors])})`);
      assert.equal(totals.streams.broken, 0, `no stream broke (${JSON.stringify(totals.streams.errors)})`);
      assert.ok(totals.fresh.ok > 400 && totals.streams.intact >= 6, 'traffic went on all along');
      assert.ok(clientRenewals >= 15, `the client's certificate was renewed all along (${clientRenewals} times)`);
      assert.equal(tlsFailures, 0, 'no handshake failed: no expired certificate was ever presented');
      assert.ok(syns >= clientRenewals / 2, `new certificates made new tunnels (${syns} connections to 15008 for ${clientRenewals} renewals)`);
    } finally {
      load.kill();
      capture.kill();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
