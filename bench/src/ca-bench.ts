// make bench (CA): X.509-SVIDs signed per second on one core — the whole Certify path
// (CSR parse and checks, authorization, signing) with an in-memory token reviewer, so the
// figure is the CA's own cost. Goal from the identity issue: >= 2000/s.
import { CertificateAuthority, CsrAuthorizer, generateTrustAnchor, WorkloadIssuer } from '@weft/control';
import { webcrypto } from 'node:crypto';
import { fmt } from './stats.js';

const p256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const count = 2000;

async function main(): Promise<void> {
  const x509 = await import('@peculiar/x509');
  const anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
  const ca = new CertificateAuthority({
    trustDomain: 'cluster.local',
    issuer: new WorkloadIssuer({ anchor }),
    authorizer: new CsrAuthorizer({
      reviewer: { review: () => Promise.resolve({ authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' }) },
      pods: { hasPod: () => true },
      agent: { namespace: 'weft-system', name: 'weft-agent' },
    }),
  });
  process.stdout.write(`\nWeft CA benchmark: preparing ${count} CSRs…\n`);
  const csrs: string[] = [];
  for (let i = 0; i < count; i++) {
    const keys = await webcrypto.subtle.generateKey(p256, false, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: p256,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://cluster.local/ns/bench/sa/workload-${i}` }])],
    });
    csrs.push(csr.toString('pem'));
  }
  const start = performance.now();
  for (const csrPem of csrs) await ca.certify({ csrPem, token: 'bench' });
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`certified ${count} SVIDs in ${fmt(seconds)} s: ${fmt(count / seconds, 0)} per second on one core (goal >= 2000/s)\n`);
}

await main();
