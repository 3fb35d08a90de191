import { crypto, subtle, x509 } from './x509.js';

export const ecdsaP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate with its key pair. */
export interface KeyedCertificate {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/**
 * The root the mesh trusts and the intermediate the CA signs with. The root's private key
 * is optional: a root given at install may stay offline, handing over only an intermediate.
 */
export interface TrustAnchor {
  root: { certificate: x509.X509Certificate; keys?: CryptoKeyPair };
  intermediate: KeyedCertificate;
}

const day = 24 * 60 * 60 * 1000;

export function randomSerial(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

/** Generates a root (10 years) and an intermediate (1 year, path length 0), both P-256. */
export async function generateTrustAnchor(options: { trustDomain: string; now?: Date }): Promise<TrustAnchor> {
  const now = options.now ?? new Date();
  const rootKeys = await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
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
  const keyedRoot = { certificate: root, keys: rootKeys };
  return { root: keyedRoot, intermediate: await generateIntermediate({ root: keyedRoot, trustDomain: options.trustDomain, now }) };
}

/** An intermediate (1 year, path length 0, never past the root) signed by the root. */
export async function generateIntermediate(options: { root: KeyedCertificate; trustDomain: string; now?: Date }): Promise<KeyedCertificate> {
  const now = options.now ?? new Date();
  const { root } = options;
  const keys = await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']);
  const notAfter = Math.min(now.getTime() + 365 * day, root.certificate.notAfter.getTime());
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=Weft intermediate CA, O=${options.trustDomain}`,
    issuer: root.certificate.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
    ],
  });
  return { certificate, keys };
}
