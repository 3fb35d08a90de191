import { debuglog } from 'node:util';
import { Refusal } from '../auth/refusal.js';
import { CaRefusal } from './ca-error.js';
import type { CsrAuthorizer } from './csr-authorizer.js';
import { checkCsr } from './csr-check.js';
import type { IssuedSvid, WorkloadIssuer } from './workload-issuer.js';

export interface CaCounters {
  issued: number;
  refused: Record<string, number>;
}

/** Who hears of every issuance and refusal: the control plane logs and counts them. */
export interface CaAudit {
  issued(event: { identity: string; nodeName: string; notAfter: Date }): void;
  /** `code` is the refusal's stable code (WEFT_CA_INTERNAL for a failure of the CA itself). */
  refused(event: { code: string; reason: string; identity?: string }): void;
}

const debug = debuglog('weft:ca');
// Checked before formatting: the date string alone costs more than a tenth of a signature.
const debugAudit: CaAudit = {
  issued: (e) => {
    if (debug.enabled) debug('issued %s to node %s, valid until %s', e.identity, e.nodeName, e.notAfter.toISOString());
  },
  refused: (e) => {
    if (debug.enabled) debug('refused %s: %s', e.identity ?? 'a request', e.reason);
  },
};

/**
 * Certify(csr, token): authorize the caller for the identity its CSR asks for, then sign.
 * Every issuance and every refusal is counted and reported to the audit.
 */
export class CertificateAuthority {
  readonly #authorizer: CsrAuthorizer;
  readonly #issuer: WorkloadIssuer;
  readonly #trustDomain: string;
  readonly #audit: CaAudit;
  readonly #counters: CaCounters = { issued: 0, refused: {} };

  constructor(options: { authorizer: CsrAuthorizer; issuer: WorkloadIssuer; trustDomain: string; audit?: CaAudit }) {
    this.#authorizer = options.authorizer;
    this.#issuer = options.issuer;
    this.#trustDomain = options.trustDomain;
    this.#audit = options.audit ?? debugAudit;
  }

  counters(): CaCounters {
    return { issued: this.#counters.issued, refused: { ...this.#counters.refused } };
  }

  async certify(request: { csrPem: string; token: string }): Promise<IssuedSvid> {
    let identity: string | undefined;
    try {
      const csr = await checkCsr(request.csrPem);
      identity = csr.spiffeId.toString();
      if (csr.spiffeId.trustDomain !== this.#trustDomain) {
        throw new CaRefusal('invalid-argument', 'WEFT_CA_WRONG_TRUST_DOMAIN', `this CA signs for trust domain ${this.#trustDomain}, not ${csr.spiffeId.trustDomain}`);
      }
      const { nodeName } = await this.#authorizer.authorize(request.token, csr.spiffeId);
      const svid = await this.#issuer.issue(csr.spiffeId, csr.publicKeyDer);
      this.#counters.issued++;
      this.#audit.issued({ identity, nodeName, notAfter: svid.notAfter });
      return svid;
    } catch (error) {
      const code = error instanceof Refusal ? error.code : 'WEFT_CA_INTERNAL';
      this.#counters.refused[code] = (this.#counters.refused[code] ?? 0) + 1;
      this.#audit.refused({ code, reason: error instanceof Error ? error.message : String(error), ...(identity ? { identity } : {}) });
      throw error;
    }
  }
}
