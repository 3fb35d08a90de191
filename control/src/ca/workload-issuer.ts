import { KeyObject, randomFillSync, sign } from 'node:crypto';
import { isP256PublicKey } from './csr-check.js';
import { bitString, boolean, children, explicit, integer, octetString, oid, sequence, set, time, tlv } from '@weft/api/der';
import type { SpiffeId } from './spiffe-id.js';
import type { TrustAnchor } from './trust-anchor.js';
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

const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
const extension = (id: string, critical: boolean, value: Buffer): Buffer => sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
const version3 = explicit(0, integer(Buffer.from([2])));
const organizationName = oid('2.5.4.10');
const subjectAltName = oid('2.5.29.17');
const critical = boolean(true);

/** Extensions every leaf carries unchanged (the SAN is added per certificate). */
function constantExtensions(authorityKeyId: Buffer): Buffer[] {
  return [
    extension('2.5.29.19', true, sequence()), // basicConstraints: CA:FALSE
    extension('2.5.29.15', true, bitString(Buffer.from([0x88]), 3)), // keyUsage: digitalSignature, keyAgreement
    extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))), // serverAuth, clientAuth
    extension('2.5.29.35', false, sequence(tlv(0x80, authorityKeyId))), // authorityKeyIdentifier
  ];
}

/**
 * Serial numbers: 16 bytes from the CSPRNG, first bit clear so the INTEGER is positive. The
 * bytes are drawn 4 KiB at a time, as randomUUID does; each serial takes fresh ones.
 */
class SerialNumbers {
  readonly #pool = Buffer.alloc(4096);
  #offset = this.#pool.length;

  next(): Buffer {
    if (this.#offset === this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const serial = this.#pool.subarray(this.#offset, this.#offset + 16);
    this.#offset += 16;
    serial[0] = (serial[0] ?? 0) & 0x7f;
    return serial;
  }
}

/** PEM with 64-character lines (RFC 7468), cut by slicing: a regex here cost more than DER. */
function pem(der: Buffer): string {
  const base64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
}

/**
 * Signs X.509-SVIDs with the intermediate: ECDSA P-256 leaf, the SPIFFE ID as the only SAN,
 * not a CA, usable for TLS client and server authentication.
 *
 * Leaves are assembled as DER from a template (only serial, validity, key and SAN vary) and
 * signed with node:crypto: @peculiar/x509's generic generator took 7 ms per certificate,
 * this takes a fraction of one (docs/NOTES.md). Tests check the result with openssl and TLS.
 */
export class WorkloadIssuer {
  readonly #ttlMs: number;
  readonly #now: () => Date;
  readonly #signingKey: KeyObject;
  readonly #issuerName: Buffer;
  readonly #intermediatePem: string;
  /** The constant extensions, encoded once, in order. */
  readonly #extensions: Buffer;
  readonly #intermediateNotAfter: Date;
  readonly #serials = new SerialNumbers();

  constructor(options: IssuerOptions) {
    const { intermediate } = options.anchor;
    const ttl = options.ttlSeconds ?? 24 * 60 * 60;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 366 * 24 * 3600) throw new RangeError(`ttlSeconds must be a whole number from 1 to one year, not ${ttl}`);
    this.#ttlMs = ttl * 1000;
    this.#intermediateNotAfter = intermediate.certificate.notAfter;
    this.#now = options.now ?? (() => new Date());
    this.#signingKey = KeyObject.from(intermediate.keys.privateKey);
    // The issuer name as the intermediate's own bytes, not a re-encoding.
    const [tbs] = children(Buffer.from(intermediate.certificate.rawData), 0x30);
    const subject = tbs ? children(tbs, 0x30)[5] : undefined;
    if (!subject) throw new Error('cannot read the intermediate certificate');
    this.#issuerName = subject;
    this.#intermediatePem = intermediate.certificate.toString('pem');
    const ski = intermediate.certificate.extensions.find((e) => e instanceof x509.SubjectKeyIdentifierExtension);
    if (!ski) throw new Error('the intermediate has no subject key identifier');
    this.#extensions = Buffer.concat(constantExtensions(Buffer.from(ski.keyId, 'hex')));
  }

  /** Signs a leaf for `spiffeId` over the public key `publicKeyDer` (SPKI DER, P-256). */
  issue(spiffeId: SpiffeId, publicKeyDer: Buffer): Promise<IssuedSvid> {
    const now = this.#now();
    // Never outlive the certificate that signs it.
    const notAfter = new Date(Math.min(now.getTime() + this.#ttlMs, this.#intermediateNotAfter.getTime()));
    const spki = publicKeyDer;
    if (!isP256PublicKey(spki)) return Promise.reject(new Error('only ECDSA P-256 public keys are certified'));
    const subject = sequence(set(sequence(organizationName, tlv(0x0c, Buffer.from(spiffeId.trustDomain, 'utf8')))));
    // subjectAltName, critical: the SPIFFE ID is the one name a leaf has.
    const san = sequence(subjectAltName, critical, octetString(sequence(tlv(0x86, Buffer.from(spiffeId.toString(), 'ascii')))));
    const tbs = sequence(
      version3,
      integer(this.#serials.next()),
      ecdsaWithSha256,
      this.#issuerName,
      sequence(time(new Date(now.getTime() - 60_000)), time(notAfter)),
      subject,
      spki,
      explicit(3, sequence(this.#extensions, san)),
    );
    const signature = sign('sha256', tbs, this.#signingKey);
    const certificate = sequence(tbs, ecdsaWithSha256, bitString(signature));
    return Promise.resolve({ spiffeId, chainPem: `${pem(certificate)}\n${this.#intermediatePem}\n`, notAfter });
  }
}
