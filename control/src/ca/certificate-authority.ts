import { debuglog } from 'node:util';
import { CaRefusal } from './ca-error.js';
import type { CsrAuthorizer } from './csr-authorizer.js';
import { checkCsr } from './csr-check.js';
import type { IssuedSvid, WorkloadIssuer } from './workload-issuer.js';

const log = debuglog('weft:ca');

export interface CaCounters {
  issued: number;
  refused: Record<string, number>;
}

/**
 * Certify(csr, token): authorize the caller for the identity its CSR asks for, then sign.
 * Every issuance and every refusal is logged with its reason and counted.
 */
export class CertificateAuthority {
  readonly #authorizer: CsrAuthorizer;
  readonly #issuer: WorkloadIssuer;
  readonly #trustDomain: string;
  readonly #counters: CaCounters = { issued: 0, refused: {} };

  constructor(options: { authorizer: CsrAuthorizer; issuer: WorkloadIssuer; trustDomain: string }) {
    this.#authorizer = options.authorizer;
    this.#issuer = options.issuer;
    this.#trustDomain = options.trustDomain;
  }

  counters(): CaCounters {
    return { issued: this.#counters.issued, refused: { ...this.#counters.refused } };
  }

  async certify(request: { csrPem: string; token: string }): Promise<IssuedSvid> {
    try {
      const csr = await checkCsr(request.csrPem);
      if (csr.spiffeId.trustDomain !== this.#trustDomain) {
        throw new CaRefusal('invalid-argument', 'WEFT_CA_WRONG_TRUST_DOMAIN', `this CA signs for trust domain ${this.#trustDomain}, not ${csr.spiffeId.trustDomain}`);
      }
      const { nodeName } = await this.#authorizer.authorize(request.token, csr.spiffeId);
      const svid = await this.#issuer.issue(csr.spiffeId, csr.publicKeyDer);
      this.#counters.issued++;
      log('issued %s to node %s, valid until %s', csr.spiffeId.toString(), nodeName, svid.notAfter.toISOString());
      return svid;
    } catch (error) {
      const code = error instanceof CaRefusal ? error.code : 'WEFT_CA_INTERNAL';
      this.#counters.refused[code] = (this.#counters.refused[code] ?? 0) + 1;
      log('refused: %s', error instanceof Error ? error.message : String(error));
      throw error;
    }
  }
}
