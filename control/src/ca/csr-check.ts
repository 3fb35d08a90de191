import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CaRefusal } from './ca-error.js';
import { children, content, oid, sequence } from './der.js';
import { SpiffeId } from './spiffe-id.js';

const invalid = (code: `WEFT_CA_${string}`, message: string, cause?: unknown): CaRefusal =>
  new CaRefusal('invalid-argument', code, message, cause === undefined ? {} : { cause });

/** A CSR that passed every check: its key (SPKI DER) and the identity it asks for. */
export interface CheckedCsr {
  publicKeyDer: Buffer;
  spiffeId: SpiffeId;
}

const ids = {
  ecdsaWithSha256: oid('1.2.840.10045.4.3.2'),
  extensionRequest: oid('1.2.840.113549.1.9.14'),
  subjectAltName: oid('2.5.29.17'),
  basicConstraints: oid('2.5.29.19'),
};

/** AlgorithmIdentifier { id-ecPublicKey, prime256v1 }: the only key Weft certifies. */
const p256Algorithm = sequence(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7'));

/** True when an SPKI (DER) holds an ECDSA P-256 key; a byte comparison, no key import. */
export function isP256PublicKey(spki: Buffer): boolean {
  try {
    return children(spki)[0]?.equals(p256Algorithm) === true;
  } catch {
    return false;
  }
}

const generalNameTypes: Record<number, string> = { 0x81: 'email', 0x82: 'dns', 0x86: 'uri', 0x87: 'ip', 0xa0: 'other', 0xa4: 'directory', 0x88: 'registered-id' };

interface ParsedCsr {
  info: Buffer;
  publicKeyDer: Buffer;
  signatureAlgorithm: Buffer;
  signature: Buffer;
  extensions: { id: Buffer; value: Buffer }[];
}

function der(pem: string): Buffer {
  const body = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem)?.[1];
  if (body === undefined) throw new Error('no PEM CERTIFICATE REQUEST block');
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

/**
 * CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature BIT STRING }
 * info ::= SEQUENCE { version, subject, subjectPublicKeyInfo, [0] attributes }
 * Read with Weft's DER reader: @peculiar/x509's generic parser cost ~2 ms per request.
 */
function parse(pem: string): ParsedCsr {
  const [info, algorithm, signatureBits, ...extra] = children(der(pem));
  if (!info || !algorithm || !signatureBits || extra.length > 0) throw new Error('not a CertificationRequest');
  const [version, , publicKeyDer, attributes] = children(info);
  if (!version || !publicKeyDer || version.toString('hex') !== '020100') throw new Error('not a version 1 CertificationRequestInfo');
  const extensions: ParsedCsr['extensions'] = [];
  if (attributes) {
    if (attributes[0] !== 0xa0) throw new Error('unexpected element after the public key');
    // [0] IMPLICIT SET OF Attribute: read its content as a sequence of attributes.
    for (const attribute of children(Buffer.concat([Buffer.from([0x30]), attributes.subarray(1)]))) {
      const [type, values] = children(attribute);
      if (!type || !values || !type.equals(ids.extensionRequest)) continue;
      for (const list of children(values)) {
        for (const ext of children(list)) {
          const parts = children(ext);
          const id = parts[0];
          const value = parts[parts.length - 1];
          if (!id || !value || parts.length < 2) throw new Error('malformed extension');
          extensions.push({ id, value: content(value) });
        }
      }
    }
  }
  return { info, publicKeyDer, signatureAlgorithm: algorithm, signature: content(signatureBits).subarray(1), extensions };
}

/**
 * Checks a PKCS#10 request from an agent: it parses, its signature matches its key, the
 * key is ECDSA P-256, it asks for exactly one SAN — the URI of one SPIFFE ID — and it does
 * not ask to be a CA. Anything else is refused as invalid-argument; nothing is signed.
 */
export function checkCsr(pem: string): Promise<CheckedCsr> {
  try {
    return Promise.resolve(check(pem));
  } catch (error) {
    return Promise.reject(error instanceof CaRefusal ? error : invalid('WEFT_CA_MALFORMED_CSR', 'the CSR is not a PEM PKCS#10 request', error));
  }
}

function check(pem: string): CheckedCsr {
  const csr = parse(pem);
  if (!isP256PublicKey(csr.publicKeyDer)) throw invalid('WEFT_CA_CSR_KEY', 'workload keys must be ECDSA P-256');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: csr.publicKeyDer, format: 'der', type: 'spki' });
  } catch (error) {
    throw invalid('WEFT_CA_CSR_KEY', 'the CSR’s public key is not a valid P-256 point', error);
  }
  const [algorithm] = children(csr.signatureAlgorithm);
  if (!algorithm?.equals(ids.ecdsaWithSha256) || !verify('sha256', csr.info, key, csr.signature)) {
    throw invalid('WEFT_CA_BAD_CSR_SIGNATURE', "the CSR's signature does not match its public key");
  }
  const constraints = csr.extensions.find((e) => e.id.equals(ids.basicConstraints));
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }
  const [ca] = constraints ? children(constraints.value) : [];
  if (ca?.[0] === 0x01 && ca[2] !== 0) throw invalid('WEFT_CA_CSR_CA_REQUESTED', 'the CSR asks to be a certificate authority');
  const sans = csr.extensions.filter((e) => e.id.equals(ids.subjectAltName));
  const names = sans.flatMap((e) => children(e.value)).map((n) => ({ type: generalNameTypes[n[0] ?? 0] ?? 'unknown', value: content(n) }));
  if (names.length !== 1 || names[0]?.type !== 'uri') {
    throw invalid('WEFT_CA_CSR_SAN', `the CSR must ask for exactly one SAN, the SPIFFE ID URI; it asks for ${names.map((n) => `${n.type}:${n.value.toString('latin1')}`).join(', ') || 'none'}`);
  }
  let spiffeId: SpiffeId;
  try {
    spiffeId = SpiffeId.parse(names[0].value.toString('ascii'));
  } catch (error) {
    throw invalid('WEFT_CA_CSR_SAN', 'the CSR’s URI SAN is not a Weft SPIFFE ID', error);
  }
  return { publicKeyDer: csr.publicKeyDer, spiffeId };
}
