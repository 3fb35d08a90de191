// Unit tier: the identity manager with a signer that checks each CSR for real (signature
// and SAN, read with the CA contract's DER code) but signs nothing. The real CA over gRPC
// comes with the control plane's integration tests.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

  it('renews at half-life (± jitter) with a new key, before expiry', async () => {
    const signer = new CheckingSigner(1000);
    const identities = new WorkloadIdentities({ signer, renewAt: 0.5, jitter: 0.1 });
    const first = await identities.ensure(id);
    await sleep(300);
    assert.equal(signer.calls, 1, 'not renewed before 40 % of the lifetime');
    await sleep(600);
    assert.ok(signer.count() >= 2, 'renewed before expiry');
    const second = identities.current(id);
    assert.ok(second && second.notAfter > first.notAfter);
    assert.notEqual(signer.keys[0], signer.keys[1], 'a new key each time');
    identities.stop();
  });

  it('keeps the valid certificate while the CA fails, never one past expiry, and recovers by itself', async () => {
    const signer = new CheckingSigner(600);
    const identities = new WorkloadIdentities({ signer, backoff: { initialMs: 50, maxMs: 100 } });
    await identities.ensure(id);
    signer.failing = true;
    await sleep(400);
    assert.ok(identities.current(id), 'still valid: kept while renewals fail');
    await sleep(350);
    assert.equal(identities.current(id), undefined, 'expired: never handed out');
    await assert.rejects(identities.ensure(id), /CA unavailable/);
    const failedCalls = signer.calls;
    assert.ok(failedCalls >= 3, `retried with back-off (${failedCalls} calls)`);
    signer.failing = false;
    await sleep(250);
    assert.ok(identities.current(id), 'recovered without a restart');
    identities.stop();
  });

  it('forgets identities no pod uses any more, with their renewals', async () => {
    const signer = new CheckingSigner(300);
    const identities = new WorkloadIdentities({ signer });
    await identities.ensure(id);
    identities.release(id);
    assert.equal(identities.current(id), undefined);
    assert.deepEqual(identities.identities(), []);
    await sleep(400);
    assert.equal(signer.count(), 1, 'no renewal after release');
    identities.stop();
    await assert.rejects(identities.ensure(id), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'WEFT_IDENTITY_STOPPED');
  });
});
