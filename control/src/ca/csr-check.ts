import { CaRefusal } from './ca-error.js';
import { SpiffeId } from './spiffe-id.js';
import { x509 } from './x509.js';

const invalid = (code: `WEFT_CA_${string}`, message: string, cause?: unknown): CaRefusal =>
  new CaRefusal('invalid-argument', code, message, cause === undefined ? {} : { cause });

/** A CSR that passed every check: its key and the identity it asks for. */
export interface CheckedCsr {
  publicKey: x509.PublicKey;
  spiffeId: SpiffeId;
}

/**
 * Checks a PKCS#10 request from an agent: it parses, its signature matches its key, the
 * key is ECDSA P-256, it asks for exactly one SAN — the URI of one SPIFFE ID — and it does
 * not ask to be a CA. Anything else is refused as invalid-argument; nothing is signed.
 */
export async function checkCsr(pem: string): Promise<CheckedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (error) {
    throw invalid('WEFT_CA_MALFORMED_CSR', 'the CSR is not a PEM or DER PKCS#10 request', error);
  }
  if (!(await csr.verify())) throw invalid('WEFT_CA_BAD_CSR_SIGNATURE', "the CSR's signature does not match its public key");
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw invalid('WEFT_CA_CSR_KEY', `workload keys must be ECDSA P-256, not ${algorithm.name ?? '?'} ${algorithm.namedCurve ?? ''}`.trim());
  }
  const constraints = csr.extensions.find((e) => e instanceof x509.BasicConstraintsExtension);
  if (constraints?.ca) throw invalid('WEFT_CA_CSR_CA_REQUESTED', 'the CSR asks to be a certificate authority');
  const san = csr.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  const uris = names.filter((n) => n.type === 'url');
  if (uris.length !== 1 || names.length !== 1) {
    throw invalid('WEFT_CA_CSR_SAN', `the CSR must ask for exactly one SAN, the SPIFFE ID URI; it asks for ${names.map((n) => `${n.type}:${n.value}`).join(', ') || 'none'}`);
  }
  let spiffeId: SpiffeId;
  try {
    spiffeId = SpiffeId.parse(uris[0]?.value ?? '');
  } catch (error) {
    throw invalid('WEFT_CA_CSR_SAN', 'the CSR’s URI SAN is not a Weft SPIFFE ID', error);
  }
  return { publicKey: csr.publicKey, spiffeId };
}
