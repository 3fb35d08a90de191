// Unit tier: the CA with real crypto, checked by independent implementations (openssl,
// Node's TLS). The token reviewer and pod directory are fakes here; the TokenReview path
// against the real API server belongs with the control plane on the testbed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from './certificate-authority.js';
import { AgentAuthenticator, Refusal, type TokenReviewResult } from '../auth/index.js';
import { CsrAuthorizer } from './csr-authorizer.js';
import { SpiffeId } from './spiffe-id.js';
import { ecdsaP256, generateTrustAnchor, type TrustAnchor } from './trust-anchor.js';
import { WorkloadIssuer } from './workload-issuer.js';
import { subtle, x509 } from './x509.js';

const trustDomain = 'cluster.local';
const agentToken = 'token-of-the-agent-on-node1';
const tokens: Record<string, TokenReviewResult> = {
  [agentToken]: { authenticated: true, username: 'system:serviceaccount:weft-system:weft-agent', nodeName: 'node1' },
  'token-of-someone-else': { authenticated: true, username: 'system:serviceaccount:shop:default', nodeName: 'node1' },
};
const podsOnNodes = new Set(['node1/shop/checkout', 'node1/shop/cart', 'node2/shop/payments']);

function refusal(kind: string, code: string) {
  return (error: unknown): boolean => error instanceof Refusal && error.kind === kind && error.code === code;
}

async function workloadCsr(options: { sans?: x509.JsonGeneralName[]; ca?: boolean; signWith?: CryptoKeyPair } = {}) {
  const keys = (await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']));
  const extensions: x509.Extension[] = [new x509.SubjectAlternativeNameExtension(options.sans ?? [{ type: 'url', value: `spiffe://${trustDomain}/ns/shop/sa/checkout` }])];
  if (options.ca) extensions.push(new x509.BasicConstraintsExtension(true));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ keys: options.signWith ?? keys, signingAlgorithm: ecdsaP256, extensions });
  return { keys, pem: csr.toString('pem') };
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

describe('CertificateAuthority', () => {
  let anchor: TrustAnchor;
  let ca: CertificateAuthority;
  let dir: string;

  before(async () => {
    anchor = await generateTrustAnchor({ trustDomain });
    const authorizer = new CsrAuthorizer({
      agents: new AgentAuthenticator({ reviewer: { review: (token) => Promise.resolve(tokens[token] ?? { authenticated: false, error: 'token expired' }) }, agent: { namespace: 'weft-system', name: 'weft-agent' } }),
      pods: { hasPod: ({ nodeName, namespace, serviceAccount }) => podsOnNodes.has(`${nodeName}/${namespace}/${serviceAccount}`) },
    });
    ca = new CertificateAuthority({ authorizer, issuer: new WorkloadIssuer({ anchor }), trustDomain });
    dir = mkdtempSync(join(tmpdir(), 'weft-ca-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a P-256 SVID whose chain openssl verifies, with the SPIFFE ID as its only SAN', async () => {
    const { pem } = await workloadCsr();
    const svid = await ca.certify({ csrPem: pem, token: agentToken });
    const [leafPem = '', intermediatePem = ''] = svid.chainPem.split(/\n(?=-----BEGIN)/);
    writeFileSync(join(dir, 'root.pem'), anchor.root.certificate.toString('pem'));
    writeFileSync(join(dir, 'intermediate.pem'), intermediatePem);
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const verified = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'intermediate.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
    assert.match(verified, /leaf\.pem: OK/);
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /URI:spiffe:\/\/cluster\.local\/ns\/shop\/sa\/checkout/);
    assert.doesNotMatch(text, /DNS:|IP Address:|email:/);
    assert.match(text, /CA:FALSE/);
    assert.match(text, /ASN1 OID: prime256v1/);
    const leaf = new x509.X509Certificate(leafPem);
    const hours = (leaf.notAfter.getTime() - Date.now()) / 3_600_000;
    assert.ok(hours > 23.9 && hours <= 24, `default TTL is 24 h (${hours.toFixed(2)} h)`);
  });

  it('lets two workloads complete a real mTLS handshake, each verifying the other against the root', async () => {
    const identities = [];
    for (const sa of ['checkout', 'cart']) {
      const { keys, pem } = await workloadCsr({ sans: [{ type: 'url', value: `spiffe://${trustDomain}/ns/shop/sa/${sa}` }] });
      const svid = await ca.certify({ csrPem: pem, token: agentToken });
      identities.push({ cert: svid.chainPem, key: await pkcs8Pem(keys.privateKey) });
    }
    const [server, client] = identities;
    assert.ok(server && client);
    const root = anchor.root.certificate.toString('pem');
    const tlsServer = createServer({ ...server, ca: root, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => {
      socket.end(String(socket.getPeerCertificate().subjectaltname));
    });
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    const address = tlsServer.address();
    assert.ok(address && typeof address === 'object');
    const socket: TLSSocket = connect({ ...client, ca: root, host: '127.0.0.1', port: address.port, checkServerIdentity: () => undefined });
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    await once(socket, 'end');
    assert.equal(socket.authorized, true);
    assert.equal(socket.getPeerCertificate().subjectaltname, `URI:spiffe://${trustDomain}/ns/shop/sa/checkout`);
    assert.equal(reply, `URI:spiffe://${trustDomain}/ns/shop/sa/cart`);
    tlsServer.close();
  });

  it('refuses, with the right kind and a clear reason, and signs nothing', async () => {
    const issued = ca.counters().issued;
    const good = await workloadCsr();
    await assert.rejects(ca.certify({ csrPem: good.pem, token: 'expired-or-forged' }), refusal('unauthenticated', 'WEFT_AUTH_TOKEN_INVALID'));
    await assert.rejects(ca.certify({ csrPem: good.pem, token: '' }), refusal('unauthenticated', 'WEFT_AUTH_NO_TOKEN'));
    await assert.rejects(ca.certify({ csrPem: good.pem, token: 'token-of-someone-else' }), refusal('permission-denied', 'WEFT_AUTH_NOT_AGENT'));
    const payments = await workloadCsr({ sans: [{ type: 'url', value: `spiffe://${trustDomain}/ns/shop/sa/payments` }] });
    await assert.rejects(ca.certify({ csrPem: payments.pem, token: agentToken }), refusal('permission-denied', 'WEFT_CA_NO_POD_ON_NODE'));
    await assert.rejects(ca.certify({ csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----', token: agentToken }), refusal('invalid-argument', 'WEFT_CA_MALFORMED_CSR'));
    await assert.rejects(ca.certify({ csrPem: 'garbage', token: agentToken }), refusal('invalid-argument', 'WEFT_CA_MALFORMED_CSR'));
    const der = Buffer.from(good.pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    for (const cut of [der.subarray(0, der.length - 5), der.subarray(0, 40), Buffer.concat([der, Buffer.from([0x05, 0x00])])]) {
      const mangled = `-----BEGIN CERTIFICATE REQUEST-----\n${cut.toString('base64')}\n-----END CERTIFICATE REQUEST-----`;
      await assert.rejects(ca.certify({ csrPem: mangled, token: agentToken }), refusal('invalid-argument', 'WEFT_CA_MALFORMED_CSR'));
    }
    // Signed with a different key than the one it carries.
    const other = (await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']));
    const forged = await workloadCsr();
    const forgedCsr = new x509.Pkcs10CertificateRequest(forged.pem);
    const swapped = await x509.Pkcs10CertificateRequestGenerator.create({ keys: { publicKey: other.publicKey, privateKey: forged.keys.privateKey }, signingAlgorithm: ecdsaP256, extensions: forgedCsr.extensions });
    await assert.rejects(ca.certify({ csrPem: swapped.toString('pem'), token: agentToken }), refusal('invalid-argument', 'WEFT_CA_BAD_CSR_SIGNATURE'));
    const extraSan = await workloadCsr({ sans: [{ type: 'url', value: `spiffe://${trustDomain}/ns/shop/sa/checkout` }, { type: 'dns', value: 'evil.example' }] });
    await assert.rejects(ca.certify({ csrPem: extraSan.pem, token: agentToken }), refusal('invalid-argument', 'WEFT_CA_CSR_SAN'));
    const wantsCa = await workloadCsr({ ca: true });
    await assert.rejects(ca.certify({ csrPem: wantsCa.pem, token: agentToken }), refusal('invalid-argument', 'WEFT_CA_CSR_CA_REQUESTED'));
    const otherDomain = await workloadCsr({ sans: [{ type: 'url', value: 'spiffe://evil.example/ns/shop/sa/checkout' }] });
    await assert.rejects(ca.certify({ csrPem: otherDomain.pem, token: agentToken }), refusal('invalid-argument', 'WEFT_CA_WRONG_TRUST_DOMAIN'));
    const rsaKeys = (await subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']));
    const rsa = await x509.Pkcs10CertificateRequestGenerator.create({ keys: rsaKeys, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${trustDomain}/ns/shop/sa/checkout` }])] });
    await assert.rejects(ca.certify({ csrPem: rsa.toString('pem'), token: agentToken }), refusal('invalid-argument', 'WEFT_CA_CSR_KEY'));
    assert.equal(ca.counters().issued, issued, 'nothing was signed');
    assert.equal(Object.values(ca.counters().refused).reduce((a, b) => a + b, 0) >= 11, true, 'every refusal was counted');
  });
});

describe('SpiffeId', () => {
  it('parses and formats Weft identities and refuses anything else', () => {
    const id = SpiffeId.parse('spiffe://cluster.local/ns/shop/sa/checkout');
    assert.deepEqual([id.trustDomain, id.namespace, id.serviceAccount], ['cluster.local', 'shop', 'checkout']);
    assert.equal(id.toString(), 'spiffe://cluster.local/ns/shop/sa/checkout');
    for (const bad of ['spiffe://cluster.local/ns/shop', 'https://cluster.local/ns/shop/sa/x', 'spiffe://cluster.local/ns/Shop/sa/x', 'spiffe://cluster.local/ns/shop/sa/x/y', 'spiffe:///ns/a/sa/b']) {
      assert.throws(() => SpiffeId.parse(bad), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'WEFT_CA_BAD_SPIFFE_ID', bad);
    }
  });
});
