import type { SpiffeId } from './spiffe-id.js';
import type { TrustAnchor } from './trust-anchor.js';
import { ecdsaP256, randomSerial } from './trust-anchor.js';
import { x509 } from './x509.js';

/** A signed workload certificate and the chain an agent presents with it. */
export interface IssuedSvid {
  spiffeId: SpiffeId;
  /** PEM: the leaf, then the intermediate. */
  chainPem: string;
  notAfter: Date;
}

export interface IssuerOptions {
  anchor: TrustAnchor;
  /** Certificate lifetime; default 24 h. */
  ttlSeconds?: number;
  now?: () => Date;
}

/**
 * Signs X.509-SVIDs with the intermediate: ECDSA P-256 leaf, the SPIFFE ID as the only SAN,
 * not a CA, usable for TLS client and server authentication.
 */
export class WorkloadIssuer {
  readonly #anchor: TrustAnchor;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  /** The same for every leaf: computed once (it hashes the intermediate's key). */
  #authorityKeyId: Promise<x509.AuthorityKeyIdentifierExtension> | undefined;

  constructor(options: IssuerOptions) {
    this.#anchor = options.anchor;
    this.#ttlMs = (options.ttlSeconds ?? 24 * 60 * 60) * 1000;
    this.#now = options.now ?? (() => new Date());
  }

  async issue(spiffeId: SpiffeId, publicKey: x509.PublicKey): Promise<IssuedSvid> {
    const now = this.#now();
    const notAfter = new Date(now.getTime() + this.#ttlMs);
    const { intermediate } = this.#anchor;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `O=${spiffeId.trustDomain}`,
      issuer: intermediate.certificate.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      publicKey,
      signingKey: intermediate.keys.privateKey,
      signingAlgorithm: ecdsaP256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId.toString() }], true),
        await (this.#authorityKeyId ??= x509.AuthorityKeyIdentifierExtension.create(intermediate.keys.publicKey)),
      ],
    });
    return { spiffeId, chainPem: `${leaf.toString('pem')}\n${intermediate.certificate.toString('pem')}\n`, notAfter };
  }
}
