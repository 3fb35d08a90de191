// Unit tier: the leaves the issuer writes by hand, read back by Node's own X.509 parser.
// (certificate-authority.test.ts checks them further with openssl and a TLS handshake.)
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { children, content } from '@weft/api/der';
import { SpiffeId } from './spiffe-id.js';
import { generateTrustAnchor, type TrustAnchor } from './trust-anchor.js';
import { WorkloadIssuer } from './workload-issuer.js';

const identity = SpiffeId.parse('spiffe://cluster.local/ns/shop/sa/checkout');
const workloadKey = (): Buffer => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });

describe('WorkloadIssuer', () => {
  let anchor: TrustAnchor;
  let intermediate: X509Certificate;

  before(async () => {
    anchor = await generateTrustAnchor({ trustDomain: 'cluster.local' });
    intermediate = new X509Certificate(anchor.intermediate.certificate.toString('pem'));
  });

  it('writes a leaf in 64-column PEM, signed by the intermediate, for the key and identity asked', async () => {
    const key = workloadKey();
    const svid = await new WorkloadIssuer({ anchor }).issue(identity, key);
    const [leafPem = '', intermediatePem = ''] = svid.chainPem.split(/(?<=-----END CERTIFICATE-----)\n/);
    const base64Lines = leafPem.split('\n').slice(1, -1);
    assert.ok(base64Lines.slice(0, -1).every((line) => line.length === 64));
    assert.ok((base64Lines.at(-1)?.length ?? 0) > 0 && (base64Lines.at(-1)?.length ?? 0) <= 64);
    const leaf = new X509Certificate(leafPem);
    assert.ok(leaf.verify(intermediate.publicKey));
    assert.ok(leaf.checkIssued(intermediate));
    assert.equal(new X509Certificate(intermediatePem).fingerprint256, intermediate.fingerprint256);
    assert.equal(leaf.subjectAltName, `URI:${identity.toString()}`);
    assert.equal(leaf.ca, false);
    assert.deepEqual(leaf.publicKey.export({ type: 'spki', format: 'der' }), key);
    assert.equal(new Date(leaf.validTo).getTime(), Math.floor(svid.notAfter.getTime() / 1000) * 1000);
  });

  it('gives every leaf its own positive serial, across refills of its random pool', async () => {
    const issuer = new WorkloadIssuer({ anchor });
    const key = workloadKey();
    const serials = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const { chainPem } = await issuer.issue(identity, key);
      const [tbs] = children(new X509Certificate(chainPem).raw, 0x30);
      const serial = content(tbs ? (children(tbs, 0x30)[1] ?? Buffer.alloc(0)) : Buffer.alloc(0), 0x02);
      // Positive, in its shortest form, and at most the 16 random bytes (plus a sign byte).
      assert.ok(((serial[0] ?? 0x80) & 0x80) === 0 && !(serial[0] === 0 && ((serial[1] ?? 0) & 0x80) === 0), serial.toString('hex'));
      assert.ok(serial.length <= 17);
      serials.add(serial.toString('hex'));
    }
    assert.equal(serials.size, 600);
  });

  it('refuses a key that is not an uncompressed P-256 point', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    await assert.rejects(new WorkloadIssuer({ anchor }).issue(identity, rsa), /P-256/);
  });
});
