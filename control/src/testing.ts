// Test and benchmark support (`@weft/control/testing`): the real CA code with an authorizer
// that lets every caller in as the agent, for suites whose subject is not authorization
// (the TokenReview path is tested against the testbed's API server).
import { AgentAuthenticator } from './auth/index.js';
import { CertificateAuthority, CsrAuthorizer, WorkloadIssuer, type TrustAnchor } from './ca/index.js';
import { ecdsaP256, randomSerial } from './ca/trust-anchor.js';
import { subtle, x509 } from './ca/x509.js';

export function trustingAuthority(options: { anchor: TrustAnchor; trustDomain?: string; ttlSeconds?: number }): CertificateAuthority {
  return new CertificateAuthority({
    trustDomain: options.trustDomain ?? 'cluster.local',
    issuer: new WorkloadIssuer({ anchor: options.anchor, ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}) }),
    authorizer: new CsrAuthorizer({
      agents: new AgentAuthenticator({ reviewer: { review: () => Promise.resolve({ authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' }) }, agent: { namespace: 'weft-system', name: 'weft-agent' } }),
      pods: { hasPod: () => true },
    }),
  });
}

/**
 * A leaf signed by the anchor's intermediate with exactly these URI SANs — none, two, one of
 * another trust domain — and otherwise like an SVID: for tests of the refusals the real
 * issuer never lets happen. Returns the chain (leaf, intermediate) as PEM.
 */
export async function signLeaf(options: { anchor: TrustAnchor; uris: string[]; publicKeyDer: Buffer }): Promise<string> {
  const { intermediate } = options.anchor;
  const publicKey = await subtle.importKey('spki', new Uint8Array(options.publicKeyDer), ecdsaP256, true, ['verify']);
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(intermediate.certificate),
  ];
  if (options.uris.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(options.uris.map((value) => ({ type: 'url' as const, value })), true));
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'O=weft-test',
    issuer: intermediate.certificate.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    publicKey,
    signingKey: intermediate.keys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions,
  });
  return `${leaf.toString('pem')}\n${intermediate.certificate.toString('pem')}\n`;
}
