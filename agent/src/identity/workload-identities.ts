import type { KeyObject } from 'node:crypto';
import { debuglog } from 'node:util';
import { WeftError } from '@weft/api';
import { buildWorkloadCsr, createWorkloadKey } from './workload-csr.js';

const log = debuglog('weft:identity');

/** What the CA gives back for one CSR. */
export interface SignedChain {
  /** PEM: leaf first, then the intermediate. */
  chainPem: string;
  notAfter: Date;
}

/** The agent's way to the CA (the gRPC client in production). */
export interface CertificateSigner {
  certify(csrPem: string): Promise<SignedChain>;
}

/** A workload's certificate and its key, ready for a TLS context. */
export interface WorkloadCertificate {
  spiffeId: string;
  chainPem: string;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** The narrow view the proxy gets: read a current certificate, never ask the CA. */
export interface WorkloadCertificateSource {
  current(spiffeId: string): WorkloadCertificate | undefined;
}

export interface WorkloadIdentitiesOptions {
  signer: CertificateSigner;
  /** Renew at this fraction of the lifetime (default 0.5) … */
  renewAt?: number;
  /** … plus or minus this fraction (default 0.1), so renewals of many pods spread out. */
  jitter?: number;
  /** Back-off after a CA failure: first delay and cap, in ms (default 1 s, 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  now?: () => number;
  random?: () => number;
}

interface Entry {
  certificate: WorkloadCertificate | undefined;
  pending: Promise<WorkloadCertificate> | undefined;
  timer: NodeJS.Timeout | undefined;
  failures: number;
}

/**
 * The node's secret manager. Keys are made here and never sent anywhere (only CSRs are);
 * certificates are fetched on demand (ensure) and renewed ahead of expiry, a new key each
 * time; CA failures are retried with back-off while the current certificate stays in use
 * until — never past — its expiry; identities no pod uses any more are released.
 */
export class WorkloadIdentities implements WorkloadCertificateSource {
  readonly #options: Required<Omit<WorkloadIdentitiesOptions, 'signer'>> & { signer: CertificateSigner };
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(options: WorkloadIdentitiesOptions) {
    this.#options = {
      renewAt: 0.5,
      jitter: 0.1,
      backoff: { initialMs: 1000, maxMs: 30_000 },
      now: () => Date.now(),
      random: Math.random,
      ...options,
    };
  }

  /** The certificate for an identity, fetching one when there is no valid one yet. */
  ensure(spiffeId: string): Promise<WorkloadCertificate> {
    if (this.#stopped) return Promise.reject(new WeftError('WEFT_IDENTITY_STOPPED', 'the identity manager is stopped'));
    const entry = this.#entry(spiffeId);
    const valid = this.current(spiffeId);
    if (valid) return Promise.resolve(valid);
    entry.pending ??= this.#fetch(spiffeId, entry).finally(() => {
      entry.pending = undefined;
    });
    return entry.pending;
  }

  current(spiffeId: string): WorkloadCertificate | undefined {
    const certificate = this.#entries.get(spiffeId)?.certificate;
    return certificate && certificate.notAfter.getTime() > this.#options.now() ? certificate : undefined;
  }

  /** Forgets an identity no pod on this node uses: its key, certificate and renewals. */
  release(spiffeId: string): void {
    const entry = this.#entries.get(spiffeId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#entries.delete(spiffeId);
  }

  identities(): string[] {
    return [...this.#entries.keys()];
  }

  stop(): void {
    this.#stopped = true;
    for (const id of [...this.#entries.keys()]) this.release(id);
  }

  #entry(spiffeId: string): Entry {
    let entry = this.#entries.get(spiffeId);
    if (!entry) {
      entry = { certificate: undefined, pending: undefined, timer: undefined, failures: 0 };
      this.#entries.set(spiffeId, entry);
    }
    return entry;
  }

  async #fetch(spiffeId: string, entry: Entry): Promise<WorkloadCertificate> {
    const key = createWorkloadKey();
    const notBefore = new Date(this.#options.now());
    const signed = await this.#options.signer.certify(buildWorkloadCsr(spiffeId, key));
    const certificate: WorkloadCertificate = { spiffeId, chainPem: signed.chainPem, privateKey: key.privateKey, notBefore, notAfter: signed.notAfter };
    if (this.#entries.get(spiffeId) !== entry) return certificate; // released meanwhile
    entry.certificate = certificate;
    entry.failures = 0;
    this.#schedule(spiffeId, entry, this.#renewalDelay(certificate));
    log('certificate for %s valid until %s', spiffeId, certificate.notAfter.toISOString());
    return certificate;
  }

  #renewalDelay(certificate: WorkloadCertificate): number {
    const { renewAt, jitter, random, now } = this.#options;
    const lifetime = certificate.notAfter.getTime() - certificate.notBefore.getTime();
    const fraction = renewAt + (random() * 2 - 1) * jitter;
    return Math.max(0, certificate.notBefore.getTime() + lifetime * fraction - now());
  }

  #schedule(spiffeId: string, entry: Entry, delayMs: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (this.#entries.get(spiffeId) !== entry || entry.pending) return;
      const attempt = this.#fetch(spiffeId, entry);
      // ensure() callers waiting on this attempt see its own outcome; the retry is ours.
      entry.pending = attempt;
      attempt
        .catch((error: unknown) => {
          entry.failures++;
          const { initialMs, maxMs } = this.#options.backoff;
          const retryIn = Math.min(maxMs, initialMs * 2 ** (entry.failures - 1));
          log('renewing %s failed (%s); retry in %d ms', spiffeId, error instanceof Error ? error.message : String(error), retryIn);
          if (this.#entries.get(spiffeId) === entry) this.#schedule(spiffeId, entry, retryIn);
        })
        .finally(() => {
          if (entry.pending === attempt) entry.pending = undefined;
        });
    }, delayMs);
    entry.timer.unref();
  }
}
