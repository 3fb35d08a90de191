// make bench (identity prewarm): certificates for 1000 identities fetched ahead of need
// through the real path — the agent's WorkloadIdentities (P-256 key and CSR made here),
// its gRPC signer over TLS, the control plane's CA service — against the reference, 1000
// sequential certify() calls on the CA in-process, measured in the same run. Client and CA
// share this one process and core, as the CA bench does; the token reviewer and the pod
// directory are in memory and allow everything, so the figures are Weft's own cost.
import { buildWorkloadCsr, createWorkloadKey, GrpcCertificateSigner, WorkloadIdentities, type CertificateSigner, type SignedChain } from '@weft/agent';
import { WeftError } from '@weft/api';
import { generateTrustAnchor, issueServingIdentity, startGrpcServer } from '@weft/control';
import { trustingAuthority } from '@weft/control/testing';
import { fmt, percentile } from './stats.js';

const count = 1000;
const warmup = 50;
const concurrency = 32;
const serviceName = 'weft-control.weft-system.svc';
const token = 'bench-token';

const spiffeIds = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `spiffe://cluster.local/ns/bench/sa/${prefix}-${i}`);

/** Times each CA round trip (CSR sent → chain back) without changing what it does. */
class TimedSigner implements CertificateSigner {
  readonly latenciesMs: number[] = [];
  readonly #inner: CertificateSigner;

  constructor(inner: CertificateSigner) {
    this.#inner = inner;
  }

  async certify(csrPem: string): Promise<SignedChain> {
    const start = performance.now();
    const signed = await this.#inner.certify(csrPem);
    this.latenciesMs.push(performance.now() - start);
    return signed;
  }
}

async function main(): Promise<void> {
  const anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
  const authority = trustingAuthority({ anchor });
  const { server, port } = await startGrpcServer({ host: '127.0.0.1', port: 0, serving: await issueServingIdentity(anchor, { dns: [serviceName] }), authority });
  const grpcSigner = new GrpcCertificateSigner({ address: `127.0.0.1:${port}`, trustBundlePem: anchor.root.certificate.toString('pem'), serverName: serviceName, token: () => token });
  const signer = new TimedSigner(grpcSigner);
  const identities = new WorkloadIdentities({ signer });
  try {
    process.stdout.write(`\nWeft identity prewarm benchmark: ${count} identities, CA over gRPC+TLS on 127.0.0.1:${port}\n`);

    // The reference gets the same CSRs the agent makes; their cost is shown apart, since the
    // prewarm figure includes it and the reference does not.
    const csrFor = (id: string): string => buildWorkloadCsr(id, createWorkloadKey());
    const warmupCsrs = spiffeIds('direct-warmup', warmup).map(csrFor);
    const csrStart = performance.now();
    const csrs = spiffeIds('direct', count).map(csrFor);
    const csrSeconds = (performance.now() - csrStart) / 1000;

    // Warm both paths (JIT, the TLS connection) so neither pays for being first.
    for (const csrPem of warmupCsrs) await authority.certify({ csrPem, token });
    const warm = await identities.prewarm(spiffeIds('warmup', warmup), { concurrency });
    if (warm.failed.length > 0) throw new WeftError('WEFT_BENCH_PREWARM_FAILED', `warm-up failed: ${warm.failed[0]?.error.message ?? ''}`);
    signer.latenciesMs.length = 0;

    const directStart = performance.now();
    for (const csrPem of csrs) await authority.certify({ csrPem, token });
    const directSeconds = (performance.now() - directStart) / 1000;

    const prewarmStart = performance.now();
    const result = await identities.prewarm(spiffeIds('workload', count), { concurrency });
    const prewarmSeconds = (performance.now() - prewarmStart) / 1000;
    if (result.ready !== count) throw new WeftError('WEFT_BENCH_PREWARM_FAILED', `${result.failed.length} identities failed, first: ${result.failed[0]?.error.message ?? ''}`);

    const latencies = signer.latenciesMs;
    process.stdout.write(
      [
        `prewarm (concurrency ${concurrency}, key + CSR + gRPC/TLS + CA): ${fmt(prewarmSeconds)} s for ${count}, ${fmt(count / prewarmSeconds, 0)} identities/s`,
        `  per-identity CA round trip over gRPC, ${concurrency} in flight (${latencies.length} samples): p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms`,
        `reference (${count} sequential certify() in-process, no gRPC): ${fmt(directSeconds)} s, ${fmt(count / directSeconds, 0)}/s`,
        `ratio prewarm / reference: ${fmt(prewarmSeconds / directSeconds)}x`,
        `(making ${count} P-256 keys + CSRs alone, in the prewarm figure but not the reference: ${fmt(csrSeconds)} s)`,
        '',
      ].join('\n'),
    );
  } finally {
    identities.stop();
    grpcSigner.close();
    server.forceShutdown();
  }
}

await main();
