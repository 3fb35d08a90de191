// make bench (CA): X.509-SVIDs signed per second on one core — the whole Certify path
// (CSR parse and checks, authorization, signing) with an in-memory token reviewer, so the
// figure is the CA's own cost. Goal from the identity issue: >= 2000/s.
//
// Every request is a distinct CSR with its own key, made beforehand by @peculiar/x509 (an
// encoder independent of the CA's). Requests are certified one after another on this one
// thread; crypto.sign and crypto.verify are synchronous, so nothing runs on the thread pool.
// A warm-up lets V8 optimise the path first, and the figure is the median of three runs,
// since a shared machine may slow any one of them.
import { generateTrustAnchor } from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';
import { webcrypto } from 'node:crypto';
import { fmt, percentile } from './stats.js';

const p256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const warmUp = 300;
const runs = 3;
const perRun = 2000;
const goal = 2000;

/** `count` PEM CSRs, each for its own new key and SPIFFE ID. */
async function makeCsrs(count: number): Promise<string[]> {
  const x509 = await import('@peculiar/x509');
  const one = async (i: number): Promise<string> => {
    const keys = await webcrypto.subtle.generateKey(p256, false, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: p256,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://cluster.local/ns/bench/sa/workload-${i}` }])],
    });
    return csr.toString('pem');
  };
  const csrs: string[] = [];
  // Batches only speed up the preparation (key generation runs on the thread pool).
  for (let i = 0; i < count; i += 100) {
    csrs.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => one(i + j)))));
  }
  return csrs;
}

async function main(): Promise<void> {
  const anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
  const ca = trustingAuthority({ anchor });
  const total = warmUp + runs * perRun;
  process.stdout.write(`\nWeft CA benchmark: preparing ${total} CSRs…\n`);
  const csrs = await makeCsrs(total);
  const certify = async (batch: string[]): Promise<number> => {
    const start = performance.now();
    for (const csrPem of batch) await ca.certify({ csrPem, token: 'bench' });
    return (performance.now() - start) / 1000;
  };
  await certify(csrs.slice(0, warmUp));
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const offset = warmUp + run * perRun;
    rates.push(perRun / (await certify(csrs.slice(offset, offset + perRun))));
  }
  const median = percentile(rates, 50);
  process.stdout.write(`runs of ${perRun} after ${warmUp} warm-up: ${rates.map((r) => fmt(r, 0)).join(', ')} per second\n`);
  process.stdout.write(`certified ${fmt(median, 0)} SVIDs per second on one core, median of ${runs} runs (goal >= ${goal}/s)\n`);
}

await main();
