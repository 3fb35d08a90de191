import { crypto, subtle, x509 } from './x509.js';

export const ecdsaP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate with its key pair. */
export interface KeyedCertificate {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** The root the mesh trusts and the intermediate the CA signs with. */
export interface TrustAnchor {
  root: KeyedCertificate;
  intermediate: KeyedCertificate;
}

const day = 24 * 60 * 60 * 1000;

function serial(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

export function randomSerial(): string {
  return serial();
}

/** Generates a root (10 years) and an intermediate (1 year, path length 0), both P-256. */
export async function generateTrustAnchor(options: { trustDomain: string; now?: Date }): Promise<TrustAnchor> {
  const now = options.now ?? new Date();
  const rootKeys = (await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']));
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Weft root CA, O=${options.trustDomain}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3650 * day),
    keys: rootKeys,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intermediateKeys = (await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']));
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=Weft intermediate CA, O=${options.trustDomain}`,
    issuer: root.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 365 * day),
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  return { root: { certificate: root, keys: rootKeys }, intermediate: { certificate: intermediate, keys: intermediateKeys } };
}
