import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CaRefusal } from './ca-error.js';
import { children, content, oid, sequence } from '@weft/api/der';
import { SpiffeId } from './spiffe-id.js';

const invalid = (code: `WEFT_CA_${string}`, message: string, cause?: unknown): CaRefusal =>
  new CaRefusal('invalid-argument', code, message, cause === undefined ? {} : { cause });

/** A CSR that passed every check: its key (SPKI DER) and the identity it asks for. */
export interface CheckedCsr {
  publicKeyDer: Buffer;
  spiffeId: SpiffeId;
}

/** INTEGER 0 (CSR version 1) and BOOLEAN TRUE, as DER allows them to be written: once. */
const versionOne = Buffer.from([0x02, 0x01, 0x00]);
const booleanTrue = Buffer.from([0x01, 0x01, 0xff]);

const ids = {
  ecdsaWithSha256: oid('1.2.840.10045.4.3.2'),
  extensionRequest: oid('1.2.840.113549.1.9.14'),
  subjectAltName: oid('2.5.29.17'),
  basicConstraints: oid('2.5.29.19'),
};

/**
 * The exact DER of an uncompressed P-256 SubjectPublicKeyInfo up to the point:
 * SEQUENCE(89) { AlgorithmIdentifier { id-ecPublicKey, prime256v1 }, BIT STRING(66) { 0, 04 … } }.
 * Requiring this one form keeps non-minimal or compressed encodings out of certificates.
 */
const p256SpkiPrefix = Buffer.concat([
  Buffer.from([0x30, 0x59]),
  sequence(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')),
  Buffer.from([0x03, 0x42, 0x00, 0x04]),
]);

/** True when an SPKI (DER) is an uncompressed ECDSA P-256 key in its one DER form. */
export function isP256PublicKey(spki: Buffer): boolean {
  return spki.length === p256SpkiPrefix.length + 64 && spki.subarray(0, p256SpkiPrefix.length).equals(p256SpkiPrefix);
}

/**
 * The key of an SPKI that passed isP256PublicKey, for node:crypto. Imported as a JWK, not as
 * DER: OpenSSL 3's DER decoder spends ~0.3 ms per key looking up decoders, the JWK path skips
 * it and still validates fully (coordinates below p, point on the curve, of the group's
 * order; see EC_KEY_set_public_key_affine_coordinates).
 */
function importP256PublicKey(spki: Buffer): KeyObject {
  const x = spki.toString('base64url', p256SpkiPrefix.length, p256SpkiPrefix.length + 32);
  const y = spki.toString('base64url', p256SpkiPrefix.length + 32, p256SpkiPrefix.length + 64);
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
}

const generalNameTypes: Record<number, string> = { 0x81: 'email', 0x82: 'dns', 0x86: 'uri', 0x87: 'ip', 0xa0: 'other', 0xa4: 'directory', 0x88: 'registered-id' };

interface ParsedCsr {
  info: Buffer;
  publicKeyDer: Buffer;
  signatureAlgorithm: Buffer;
  signature: Buffer;
  extensions: { id: Buffer; critical: boolean; value: Buffer }[];
}

/** A workload CSR is a few hundred bytes; anything much larger is refused unread. */
export const maxCsrPemLength = 8192;

const begin = '-----BEGIN CERTIFICATE REQUEST-----';
const end = '-----END CERTIFICATE REQUEST-----';

/**
 * Base64 with line breaks: at least one base64 character, at most two '=' at the end, and
 * only spaces, tabs and line breaks anywhere between them. The classes on either side of
 * each repetition are disjoint, so a failing match backtracks linearly.
 */
const base64Body = /^[\r\n\t ]*[A-Za-z0-9+/][A-Za-z0-9+/\r\n\t ]*(?:=[\r\n\t ]*){0,2}$/;

/** The DER inside the one PEM block; linear scans only (a regex here was quadratic). */
function der(pem: string): Buffer {
  const start = pem.indexOf(begin);
  const stop = start < 0 ? -1 : pem.indexOf(end, start + begin.length);
  if (start < 0 || stop < 0 || pem.indexOf(begin, start + begin.length) >= 0) throw new Error('not exactly one PEM CERTIFICATE REQUEST block');
  const body = pem.slice(start + begin.length, stop);
  if (!base64Body.test(body)) throw new Error('the PEM body is not base64');
  // Node's decoder skips the whitespace the pattern allows, so it need not be stripped first.
  return Buffer.from(body, 'base64');
}

/**
 * CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature BIT STRING }
 * info ::= SEQUENCE { version, subject, subjectPublicKeyInfo, [0] attributes }
 * Read with Weft's DER reader: @peculiar/x509's generic parser cost ~2 ms per request.
 */
function parse(pem: string): ParsedCsr {
  const [info, algorithm, signatureBits, ...extra] = children(der(pem), 0x30);
  if (!info || !algorithm || !signatureBits || extra.length > 0) throw new Error('not a CertificationRequest');
  const [version, subject, publicKeyDer, attributes, ...rest] = children(info, 0x30);
  if (!version || !subject || !publicKeyDer || rest.length > 0 || !version.equals(versionOne)) throw new Error('not a version 1 CertificationRequestInfo');
  children(subject, 0x30);
  const extensions: ParsedCsr['extensions'] = [];
  let extensionRequests = 0;
  if (attributes) {
    if (attributes[0] !== 0xa0) throw new Error('unexpected element after the public key');
    // [0] IMPLICIT SET OF Attribute: its content is the attributes themselves.
    for (const attribute of children(attributes, 0xa0)) {
      const [type, values, ...more] = children(attribute, 0x30);
      if (!type || !values || more.length > 0) throw new Error('malformed attribute');
      if (!type.equals(ids.extensionRequest)) continue;
      const lists = children(values, 0x31);
      if (++extensionRequests > 1 || lists.length !== 1 || !lists[0]) throw new Error('more than one extension request');
      for (const ext of children(lists[0], 0x30)) {
        const parts = children(ext, 0x30);
        const [id, middle, last] = parts;
        if (!id || !middle || parts.length > 3 || id[0] !== 0x06) throw new Error('malformed extension');
        const critical = parts.length === 3 && middle.equals(booleanTrue);
        if (parts.length === 3 && !critical) throw new Error('malformed extension (criticality)');
        const value = content(last ?? middle, 0x04);
        if (extensions.some((e) => e.id.equals(id))) throw new Error('an extension is repeated');
        extensions.push({ id, critical, value });
      }
    }
  }
  return { info, publicKeyDer, signatureAlgorithm: algorithm, signature: content(signatureBits, 0x03).subarray(1), extensions };
}

/**
 * Checks a PKCS#10 request from an agent: it parses, its signature matches its key, the
 * key is ECDSA P-256, it asks for exactly one SAN — the URI of one SPIFFE ID — and it does
 * not ask to be a CA. Anything else is refused as invalid-argument; nothing is signed.
 */
export function checkCsr(pem: string): Promise<CheckedCsr> {
  if (typeof pem !== 'string' || pem.length > maxCsrPemLength) {
    return Promise.reject(invalid('WEFT_CA_MALFORMED_CSR', `the CSR must be a PEM string of at most ${maxCsrPemLength} characters`));
  }
  try {
    return Promise.resolve(check(pem));
  } catch (error) {
    return Promise.reject(error instanceof CaRefusal ? error : invalid('WEFT_CA_MALFORMED_CSR', 'the CSR is not a PEM PKCS#10 request', error));
  }
}

/** True when every byte is printable ASCII other than space, as a URI must be. */
function isPrintableAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte < 0x21 || byte > 0x7e) return false;
  return true;
}

function check(pem: string): CheckedCsr {
  const csr = parse(pem);
  if (!isP256PublicKey(csr.publicKeyDer)) throw invalid('WEFT_CA_CSR_KEY', 'workload keys must be ECDSA P-256');
  let key: KeyObject;
  try {
    key = importP256PublicKey(csr.publicKeyDer);
  } catch (error) {
    throw invalid('WEFT_CA_CSR_KEY', 'the CSR’s public key is not a valid P-256 point', error);
  }
  const [algorithm] = children(csr.signatureAlgorithm);
  if (!algorithm?.equals(ids.ecdsaWithSha256) || !verify('sha256', csr.info, key, csr.signature)) {
    throw invalid('WEFT_CA_BAD_CSR_SIGNATURE', "the CSR's signature does not match its public key");
  }
  for (const extension of csr.extensions) {
    const known = extension.id.equals(ids.basicConstraints) || extension.id.equals(ids.subjectAltName);
    if (extension.critical && !known) throw invalid('WEFT_CA_CSR_EXTENSION', 'the CSR carries a critical extension the CA does not understand');
  }
  const constraints = csr.extensions.find((e) => e.id.equals(ids.basicConstraints));
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }
  const [ca] = constraints ? children(constraints.value, 0x30) : [];
  if (ca?.[0] === 0x01 && ca[2] !== 0) throw invalid('WEFT_CA_CSR_CA_REQUESTED', 'the CSR asks to be a certificate authority');
  const san = csr.extensions.find((e) => e.id.equals(ids.subjectAltName));
  const names = (san ? children(san.value, 0x30) : []).map((n) => ({ type: generalNameTypes[n[0] ?? 0] ?? 'unknown', value: content(n) }));
  if (names.length !== 1 || names[0]?.type !== 'uri') {
    throw invalid('WEFT_CA_CSR_SAN', `the CSR must ask for exactly one SAN, the SPIFFE ID URI; it asks for ${names.map((n) => `${n.type}:${n.value.toString('latin1')}`).join(', ') || 'none'}`);
  }
  const uri = names[0].value;
  if (!isPrintableAscii(uri)) throw invalid('WEFT_CA_CSR_SAN', 'the URI SAN holds bytes outside printable ASCII');
  let spiffeId: SpiffeId;
  try {
    spiffeId = SpiffeId.parse(uri.toString('ascii'));
  } catch (error) {
    throw invalid('WEFT_CA_CSR_SAN', 'the CSR’s URI SAN is not a Weft SPIFFE ID', error);
  }
  return { publicKeyDer: csr.publicKeyDer, spiffeId };
}
