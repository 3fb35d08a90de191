// Unit tier: the identity manager with a signer that checks each CSR for real (signature
// and SAN, read with the CA contract's DER code) but signs nothing. The real CA over gRPC
// comes with the control plane's integration tests.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { children, content } from '@weft/api/der';
import { WorkloadIdentities, type CertificateSigner, type SignedChain } from './workload-identities.js';

const id = 'spiffe://cluster.local/ns/shop/sa/checkout';

/** Checks the CSR like the CA would and answers with a marker chain valid for ttlMs. */
class CheckingSigner implements CertificateSigner {
  calls = 0;
  failing = false;
  /** Read through a method: the type checker would keep a narrowed field across awaits. */
  count(): number {
    return this.calls;
  }
  readonly keys: string[] = [];
  constructor(readonly ttlMs: number) {}

  certify(csrPem: string): Promise<SignedChain> {
    this.calls++;
    if (this.failing) return Promise.reject(new Error('CA unavailable'));
    assert.doesNotMatch(csrPem, /PRIVATE/);
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const [info, , signatureBits] = children(der, 0x30);
    assert.ok(info && signatureBits);
    const [, , spki, attributes] = children(info, 0x30);
    assert.ok(spki && attributes);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    assert.equal(verify('sha256', info, key, content(signatureBits, 0x03).subarray(1)), true, 'CSR signature');
    assert.ok(attributes.includes(Buffer.from(id)), 'the SPIFFE ID is the SAN');
    this.keys.push(spki.toString('hex'));
    return Promise.resolve({ chainPem: `chain ${this.calls}`, notAfter: new Date(Date.now() + this.ttlMs) });
  }
}

/** Moves the mocked clock ms by ms, letting the promises each timer starts settle between. */
async function advance(t: TestContext, ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    t.mock.timers.tick(1);
    for (let turn = 0; turn < 5; turn++) await Promise.resolve();
  }
}

describe('WorkloadIdentities', () => {
  it('fetches on demand, once for concurrent callers, with a key made here', async () => {
    const signer = new CheckingSigner(60_000);
    const identities = new WorkloadIdentities({ signer });
    const [a, b] = await Promise.all([identities.ensure(id), identities.ensure(id)]);
    assert.equal(signer.calls, 1);
    assert.equal(a, b);
    assert.equal(identities.current(id)?.chainPem, 'chain 1');
    assert.equal(a.privateKey.type, 'private');
    identities.stop();
  });

  it('renews at half-life (± jitter) with a new key, before expiry (mocked clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const signer = new CheckingSigner(1000);
    const identities = new WorkloadIdentities({ signer, renewAt: 0.5, jitter: 0.1 });
    const first = await identities.ensure(id);
    await advance(t, 399);
    assert.equal(signer.count(), 1, 'not renewed before 40 % of the lifetime');
    await advance(t, 201);
    assert.equal(signer.count(), 2, 'renewed by 60 %, well before expiry');
    const second = identities.current(id);
    assert.ok(second && second.notAfter > first.notAfter);
    assert.notEqual(signer.keys[0], signer.keys[1], 'a new key each time');
    identities.stop();
  });

  it('keeps the valid certificate while the CA fails, never one past expiry, and recovers by itself (mocked clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const signer = new CheckingSigner(600);
    // No jitter: renewal at exactly 300 ms, then retries 50, 100, 100, … ms after each failure.
    const identities = new WorkloadIdentities({ signer, jitter: 0, backoff: { initialMs: 50, maxMs: 100 } });
    await identities.ensure(id);
    signer.failing = true;
    await advance(t, 599);
    assert.ok(identities.current(id), 'still valid 1 ms before expiry: kept while renewals fail');
    await advance(t, 1);
    assert.equal(identities.current(id), undefined, 'expired: never handed out');
    await assert.rejects(identities.ensure(id), /CA unavailable/);
    assert.ok(signer.count() >= 5, `retried with back-off (${signer.count()} calls)`);
    signer.failing = false;
    await advance(t, 100);
    assert.ok(identities.current(id), 'recovered without a restart, at the next retry');
    identities.stop();
  });

  it('forgets identities no pod uses any more, with their renewals (mocked clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const signer = new CheckingSigner(300);
    const identities = new WorkloadIdentities({ signer });
    await identities.ensure(id);
    identities.release(id);
    assert.equal(identities.current(id), undefined);
    assert.deepEqual(identities.identities(), []);
    await advance(t, 400);
    assert.equal(signer.count(), 1, 'no renewal after release');
    identities.stop();
    await assert.rejects(identities.ensure(id), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'WEFT_IDENTITY_STOPPED');
  });
});
