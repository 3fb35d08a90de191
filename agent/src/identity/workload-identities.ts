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

export interface PrewarmOptions {
  /** At most this many identities fetched at once (default 32): 1000 pods must not mean 1000 CA requests at once. */
  concurrency?: number;
  /** Called each time one identity is settled, ready or failed; if it throws, prewarm() rejects with that error. */
  onProgress?: (done: number, total: number) => void;
}

export interface PrewarmFailure {
  spiffeId: string;
  error: Error;
}

/** What prewarm() achieved; every identity asked for is in exactly one of the two. */
export interface PrewarmResult {
  /** Identities that hold a valid certificate (fetched now, or already held). */
  ready: number;
  /** Identities the CA did not certify, in the order they failed; each keeps retrying with back-off. */
  failed: PrewarmFailure[];
}

const defaultPrewarmConcurrency = 32;

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

  /**
   * The certificate for an identity, fetching one when there is no valid one yet. If the
   * fetch fails, the caller sees the error and the fetch is retried with back-off until it
   * succeeds or the identity is released.
   */
  ensure(spiffeId: string): Promise<WorkloadCertificate> {
    if (this.#stopped) return Promise.reject(new WeftError('WEFT_IDENTITY_STOPPED', 'the identity manager is stopped'));
    const entry = this.#entry(spiffeId);
    const valid = this.current(spiffeId);
    if (valid) return Promise.resolve(valid);
    return entry.pending ?? this.#attempt(spiffeId, entry);
  }

  /**
   * Fetches certificates ahead of need, e.g. for the pods of a node the agent has just
   * started on. Goes through ensure(), so an identity already held or being fetched is not
   * fetched again. One identity failing does not fail the others: it is reported, and
   * retried with back-off like a failed renewal.
   */
  async prewarm(spiffeIds: readonly string[], options: PrewarmOptions = {}): Promise<PrewarmResult> {
    const concurrency = options.concurrency ?? defaultPrewarmConcurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new WeftError('WEFT_IDENTITY_BAD_CONCURRENCY', `prewarm concurrency must be a positive integer, not ${concurrency}`);
    }
    const unique = [...new Set(spiffeIds)];
    const result: PrewarmResult = { ready: 0, failed: [] };
    let done = 0;
    // One iterator shared by all workers: each takes the next identity when it is free.
    const queue = unique.values();
    const worker = async (): Promise<void> => {
      for (const spiffeId of queue) {
        try {
          await this.ensure(spiffeId);
          result.ready++;
        } catch (error) {
          result.failed.push({ spiffeId, error: asError(error) });
        }
        done++;
        options.onProgress?.(done, unique.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, () => worker()));
    return result;
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

  /**
   * One fetch that ensure() callers share. A failure schedules the retry here, whoever
   * started the attempt, so a first fetch that fails recovers like a failed renewal does.
   */
  #attempt(spiffeId: string, entry: Entry): Promise<WorkloadCertificate> {
    const attempt: Promise<WorkloadCertificate> = this.#fetch(spiffeId, entry)
      .catch((error: unknown) => {
        this.#backOff(spiffeId, entry, error);
        throw error;
      })
      // Cleared before callers see the outcome, so one who asks again starts a new attempt.
      .finally(() => {
        if (entry.pending === attempt) entry.pending = undefined;
      });
    entry.pending = attempt;
    return attempt;
  }

  #backOff(spiffeId: string, entry: Entry, error: unknown): void {
    if (this.#entries.get(spiffeId) !== entry) return; // released meanwhile
    entry.failures++;
    const { initialMs, maxMs } = this.#options.backoff;
    const retryIn = Math.min(maxMs, initialMs * 2 ** (entry.failures - 1));
    log('fetching %s failed (%s); retry in %d ms', spiffeId, asError(error).message, retryIn);
    this.#schedule(spiffeId, entry, retryIn);
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
      // ensure() callers joining this attempt see its outcome; #attempt schedules the retry.
      this.#attempt(spiffeId, entry).catch(() => undefined);
    }, delayMs);
    entry.timer.unref();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new WeftError('WEFT_IDENTITY_CA_FAILED', `the CA request failed: ${String(error)}`, { cause: error });
}
