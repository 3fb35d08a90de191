import { subtle, x509 } from './x509.js';
import { ecdsaP256, randomSerial, type TrustAnchor } from './trust-anchor.js';

/** The control plane's own TLS identity: agents verify it with the mesh's root. */
export interface ServingIdentity {
  /** PEM: the serving certificate, then the intermediate. */
  certificateChainPem: string;
  /** PKCS#8 PEM; never leaves the control plane. */
  privateKeyPem: string;
}

/** Issues the control plane's serving certificate (30 days) from the intermediate. */
export async function issueServingIdentity(anchor: TrustAnchor, names: { dns: string[]; ips?: string[] }): Promise<ServingIdentity> {
  const keys = (await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']));
  const now = Date.now();
  const { intermediate } = anchor;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${names.dns[0] ?? 'weft-control'}`,
    issuer: intermediate.certificate.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 30 * 24 * 3600 * 1000),
    publicKey: keys.publicKey,
    signingKey: intermediate.keys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    certificateChainPem: `${certificate.toString('pem')}\n${intermediate.certificate.toString('pem')}\n`,
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`,
  };
}
