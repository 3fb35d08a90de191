// Unit tier: prewarm() with a fake signer that answers after a short delay, counts the
// requests in flight at once and refuses chosen identities. The real CA over gRPC is
// measured in bench/src/identity-prewarm-bench.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWeftError } from '@weft/api';
import { WorkloadIdentities, type CertificateSigner, type SignedChain } from './workload-identities.js';

const ids = (count: number): string[] => Array.from({ length: count }, (_, i) => `spiffe://cluster.local/ns/shop/sa/workload-${i}`);

/** The SPIFFE ID a CSR asks for: the SAN URI, whose DER length byte comes just before it. */
function sanOf(csrPem: string): string {
  const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const start = der.indexOf('spiffe://');
  const length = der[start - 1];
  assert.ok(start > 0 && length !== undefined && length < 0x80, 'the CSR carries a short SPIFFE ID');
  return der.subarray(start, start + length).toString('ascii');
}

class CountingSigner implements CertificateSigner {
  readonly requested: string[] = [];
  readonly refused = new Set<string>();
  inFlight = 0;
  maxInFlight = 0;

  async certify(csrPem: string): Promise<SignedChain> {
    const spiffeId = sanOf(csrPem);
    this.requested.push(spiffeId);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(2);
      if (this.refused.has(spiffeId)) throw new Error(`CA refused ${spiffeId}`);
      return { chainPem: `chain for ${spiffeId}`, notAfter: new Date(Date.now() + 60_000) };
    } finally {
      this.inFlight--;
    }
  }

  /** Read through a method: the type checker would keep a narrowed field across awaits. */
  calls(): number {
    return this.requested.length;
  }
}

describe('WorkloadIdentities.prewarm', () => {
  it('keeps at most `concurrency` CA requests in flight, and uses them all', async () => {
    const signer = new CountingSigner();
    const identities = new WorkloadIdentities({ signer });
    const result = await identities.prewarm(ids(60), { concurrency: 5 });
    assert.equal(result.ready, 60);
    assert.equal(signer.maxInFlight, 5);
    assert.equal(signer.inFlight, 0, 'nothing left running when prewarm resolves');
    identities.stop();
  });

  it('defaults to 32 requests in flight', async () => {
    const signer = new CountingSigner();
    const identities = new WorkloadIdentities({ signer });
    const result = await identities.prewarm(ids(100));
    assert.equal(result.ready, 100);
    assert.equal(signer.maxInFlight, 32);
    identities.stop();
  });

  it('reports the identities that failed, with their errors, without failing the others; they retry with back-off', async () => {
    const signer = new CountingSigner();
    const all = ids(10);
    const refused = [all[2], all[5], all[7]].filter((id) => id !== undefined);
    for (const id of refused) signer.refused.add(id);
    const identities = new WorkloadIdentities({ signer, backoff: { initialMs: 20, maxMs: 40 } });

    const result = await identities.prewarm(all, { concurrency: 4 });
    assert.equal(result.ready, 7);
    assert.deepEqual(result.failed.map((f) => f.spiffeId).sort(), [...refused].sort());
    for (const failure of result.failed) assert.match(failure.error.message, new RegExp(`CA refused ${failure.spiffeId}$`));
    for (const id of all) assert.equal(identities.current(id) !== undefined, !refused.includes(id), id);

    signer.refused.clear();
    // Back-off 20, 40, 40 … ms: each recovers at its next retry, by itself.
    for (let wait = 0; wait < 500 && !refused.every((id) => identities.current(id)); wait++) await sleep(10);
    for (const id of refused) assert.ok(identities.current(id), `${id} recovered by itself`);
    identities.stop();
  });

  it('does not fetch identities already held, being fetched, or listed twice', async () => {
    const signer = new CountingSigner();
    const identities = new WorkloadIdentities({ signer });
    const [held, fetching, fresh] = ids(3);
    assert.ok(held && fetching && fresh);
    await identities.ensure(held);
    const inProgress = identities.ensure(fetching);

    const result = await identities.prewarm([held, fetching, fresh, fresh]);
    assert.deepEqual(result, { ready: 3, failed: [] });
    assert.deepEqual([...signer.requested].sort(), [fetching, fresh, held].sort(), 'one request per identity');
    assert.equal(await inProgress, identities.current(fetching), 'the caller already waiting got the same certificate');
    identities.stop();
  });

  it('reports progress once per identity, failures included, up to the total', async () => {
    const signer = new CountingSigner();
    const all = ids(6);
    const refused = all[3];
    assert.ok(refused);
    signer.refused.add(refused);
    const identities = new WorkloadIdentities({ signer });
    const progress: [number, number][] = [];
    await identities.prewarm(all, { concurrency: 2, onProgress: (done, total) => progress.push([done, total]) });
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6].map((done) => [done, 6]));
    identities.stop();
  });

  it('resolves at once for no identities and refuses a concurrency below one', async () => {
    const signer = new CountingSigner();
    const identities = new WorkloadIdentities({ signer });
    let progressCalls = 0;
    assert.deepEqual(await identities.prewarm([], { onProgress: () => progressCalls++ }), { ready: 0, failed: [] });
    assert.equal(progressCalls, 0);
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(identities.prewarm(ids(1), { concurrency }), (e: unknown) => isWeftError(e, 'WEFT_IDENTITY_BAD_CONCURRENCY'));
    }
    assert.equal(signer.calls(), 0);
    identities.stop();
  });

  it('reports every identity as failed once the manager is stopped', async () => {
    const identities = new WorkloadIdentities({ signer: new CountingSigner() });
    identities.stop();
    const result = await identities.prewarm(ids(3));
    assert.equal(result.ready, 0);
    assert.ok(result.failed.length === 3 && result.failed.every((f) => isWeftError(f.error, 'WEFT_IDENTITY_STOPPED')));
  });
});
