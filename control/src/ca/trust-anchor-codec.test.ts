// Unit tier: the trust anchor as stored files — a round trip, and every way a stored or
// given anchor can be wrong, each refused with the file named and nothing overwritten.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@weft/api';
import { anchorFiles, type AnchorFileName, decodeTrustAnchor, encodeTrustAnchor, TrustAnchorError, type EncodedTrustAnchor } from './trust-anchor-codec.js';
import { AnchorDirectory, loadTrustAnchor, type AnchorStore } from './trust-anchor-loader.js';
import { ecdsaP256, generateTrustAnchor, randomSerial, type TrustAnchor } from './trust-anchor.js';
import { subtle, x509 } from './x509.js';

const trustDomain = 'cluster.local';
const source = 'the test store';
const quiet = createLogger({ component: 'test', level: 'error', write: () => undefined });

/** Only the named files of an anchor. */
function only(files: EncodedTrustAnchor, ...names: AnchorFileName[]): EncodedTrustAnchor {
  const picked: EncodedTrustAnchor = {};
  for (const name of names) {
    const text = files[name];
    if (text !== undefined) picked[name] = text;
  }
  return picked;
}

function refusedFor(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof TrustAnchorError, `a TrustAnchorError, not ${String(error)}`);
    assert.equal(error.code, 'WEFT_CA_ANCHOR_INVALID');
    assert.match(error.message, pattern);
    return true;
  };
}

/** A P-256 CA certificate signed by `issuer` (or itself), valid over the given dates. */
async function caCertificate(options: { name: string; notBefore: Date; notAfter: Date; ca?: boolean; issuer?: { name: string; keys: CryptoKeyPair } }) {
  const keys = await subtle.generateKey(ecdsaP256, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: options.name,
    issuer: options.issuer?.name ?? options.name,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: (options.issuer?.keys ?? keys).privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [new x509.BasicConstraintsExtension(options.ca ?? true, undefined, true)],
  });
  return { certificate, keys };
}

describe('trust anchor files', () => {
  let anchor: TrustAnchor;
  let files: EncodedTrustAnchor;
  let dir: string;

  before(async () => {
    anchor = await generateTrustAnchor({ trustDomain });
    files = await encodeTrustAnchor(anchor);
    dir = mkdtempSync(join(tmpdir(), 'weft-anchor-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back what it wrote: same root, same intermediate, keys that sign for them', async () => {
    const { anchor: back, generatedIntermediate } = await decodeTrustAnchor(files, { source, trustDomain });
    assert.equal(generatedIntermediate, false);
    assert.equal(back.root.certificate.toString('pem'), anchor.root.certificate.toString('pem'));
    assert.equal(back.intermediate.certificate.toString('pem'), anchor.intermediate.certificate.toString('pem'));
    const data = Buffer.from('challenge');
    const signature = await subtle.sign(ecdsaP256, back.intermediate.keys.privateKey, data);
    assert.ok(await subtle.verify(ecdsaP256, anchor.intermediate.keys.publicKey, signature, data));
  });

  it('writes PKCS#8 keys that openssl reads and certificates that verify as a chain', () => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text ?? '', { mode: 0o600 });
    execFileSync('openssl', ['pkey', '-in', join(dir, anchorFiles.intermediateKey), '-noout']);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, anchorFiles.rootCertificate), join(dir, anchorFiles.intermediateCertificate)], { encoding: 'utf8' });
    assert.match(out, /: OK/);
  });

  it('makes an intermediate from a given root and key, and accepts an offline root (no root.key)', async () => {
    const rootOnly = only(files, anchorFiles.rootCertificate, anchorFiles.rootKey);
    const made = await decodeTrustAnchor(rootOnly, { source, trustDomain });
    assert.equal(made.generatedIntermediate, true);
    assert.ok(await made.anchor.intermediate.certificate.verify({ publicKey: anchor.root.certificate.publicKey, signatureOnly: true }));
    const offline = only(files, anchorFiles.rootCertificate, anchorFiles.intermediateCertificate, anchorFiles.intermediateKey);
    const given = await decodeTrustAnchor(offline, { source, trustDomain });
    assert.equal(given.anchor.root.keys, undefined);
    assert.equal(given.anchor.intermediate.certificate.serialNumber, anchor.intermediate.certificate.serialNumber);
  });

  it('refuses missing, unreadable and doubled certificates', async () => {
    await assert.rejects(decodeTrustAnchor({}, { source, trustDomain }), refusedFor(/the test store.*root\.crt is missing/));
    await assert.rejects(decodeTrustAnchor({ ...files, [anchorFiles.rootCertificate]: 'garbage' }, { source, trustDomain }), refusedFor(/root\.crt must hold exactly one PEM certificate, it holds 0/));
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    await assert.rejects(decodeTrustAnchor({ ...files, [anchorFiles.rootCertificate]: broken }, { source, trustDomain }), refusedFor(/root\.crt is not a readable certificate/));
    const two = `${files[anchorFiles.rootCertificate] ?? ''}${files[anchorFiles.intermediateCertificate] ?? ''}`;
    await assert.rejects(decodeTrustAnchor({ ...files, [anchorFiles.rootCertificate]: two }, { source, trustDomain }), refusedFor(/holds 2/));
  });

  it('refuses half an intermediate pair, and no way to sign at all', async () => {
    const half = only(files, anchorFiles.rootCertificate, anchorFiles.rootKey, anchorFiles.intermediateCertificate);
    await assert.rejects(decodeTrustAnchor(half, { source, trustDomain }), refusedFor(/both intermediate\.crt and intermediate\.key, or neither/));
    const rootCertificateOnly = only(files, anchorFiles.rootCertificate);
    await assert.rejects(decodeTrustAnchor(rootCertificateOnly, { source, trustDomain }), refusedFor(/root\.key is needed/));
  });

  it('refuses keys that are unreadable, of another kind, or of another certificate — without quoting them', async () => {
    const secretLooking = '-----BEGIN PRIVATE KEY-----\nU0VDUkVU\n-----END PRIVATE KEY-----\n';
    await assert.rejects(decodeTrustAnchor({ ...files, [anchorFiles.intermediateKey]: secretLooking }, { source, trustDomain }), (error: unknown) => {
      refusedFor(/intermediate\.key is not a readable PEM private key/)(error);
      assert.doesNotMatch((error as Error).message, /U0VDUkVU/);
      return true;
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(decodeTrustAnchor({ ...files, [anchorFiles.intermediateKey]: rsa }, { source, trustDomain }), refusedFor(/intermediate\.key must be an ECDSA P-256 key/));
    await assert.rejects(
      decodeTrustAnchor({ ...files, [anchorFiles.intermediateKey]: files[anchorFiles.rootKey] }, { source, trustDomain }),
      refusedFor(/intermediate\.key does not belong to intermediate\.crt/),
    );
  });

  it('refuses an intermediate of another root, a root that is not a CA, and expired or future certificates', async () => {
    const other = await generateTrustAnchor({ trustDomain });
    const otherFiles = await encodeTrustAnchor(other);
    await assert.rejects(
      decodeTrustAnchor({ ...files, [anchorFiles.intermediateCertificate]: otherFiles[anchorFiles.intermediateCertificate], [anchorFiles.intermediateKey]: otherFiles[anchorFiles.intermediateKey] }, { source, trustDomain }),
      refusedFor(/intermediate\.crt is not signed by root\.crt/),
    );
    const now = Date.now();
    const leafAsRoot = await caCertificate({ name: 'CN=leaf', ca: false, notBefore: new Date(now - 1000), notAfter: new Date(now + 86_400_000) });
    await assert.rejects(decodeTrustAnchor({ [anchorFiles.rootCertificate]: leafAsRoot.certificate.toString('pem') }, { source, trustDomain }), refusedFor(/root\.crt is not a CA certificate/));
    const expired = await caCertificate({ name: 'CN=old', notBefore: new Date(now - 2 * 86_400_000), notAfter: new Date(now - 86_400_000) });
    await assert.rejects(decodeTrustAnchor({ [anchorFiles.rootCertificate]: expired.certificate.toString('pem') }, { source, trustDomain }), refusedFor(/root\.crt expired on/));
    const future = await caCertificate({ name: 'CN=later', notBefore: new Date(now + 86_400_000), notAfter: new Date(now + 2 * 86_400_000) });
    await assert.rejects(decodeTrustAnchor({ [anchorFiles.rootCertificate]: future.certificate.toString('pem') }, { source, trustDomain }), refusedFor(/root\.crt is not valid before/));
    const notSelfSigned = await caCertificate({ name: 'CN=claims-root', issuer: { name: 'CN=claims-root', keys: other.intermediate.keys }, notBefore: new Date(now - 1000), notAfter: new Date(now + 86_400_000) });
    await assert.rejects(decodeTrustAnchor({ [anchorFiles.rootCertificate]: notSelfSigned.certificate.toString('pem') }, { source, trustDomain }), refusedFor(/root\.crt is not self-signed/));
  });
});

/** An in-memory store (unit tier); the Kubernetes Secret store is tested on the testbed. */
class MemoryStore implements AnchorStore {
  readonly description = 'memory';
  files: EncodedTrustAnchor | undefined;
  creates = 0;
  raceWith: EncodedTrustAnchor | undefined;

  read(): Promise<EncodedTrustAnchor | undefined> {
    return Promise.resolve(this.files);
  }

  create(files: EncodedTrustAnchor): Promise<'created' | 'exists'> {
    this.creates++;
    if (this.raceWith) {
      this.files = this.raceWith;
      return Promise.resolve('exists');
    }
    this.files = files;
    return Promise.resolve('created');
  }
}

describe('loadTrustAnchor', () => {
  it('generates and stores an anchor once, then loads the same one on every later start', async () => {
    const store = new MemoryStore();
    const first = await loadTrustAnchor({ store, trustDomain, log: quiet });
    assert.equal(first.origin, 'generated');
    const second = await loadTrustAnchor({ store, trustDomain, log: quiet });
    assert.equal(second.origin, 'loaded');
    assert.equal(store.creates, 1);
    assert.equal(second.anchor.root.certificate.toString('pem'), first.anchor.root.certificate.toString('pem'));
  });

  it('takes the anchor of a replica that stored one first', async () => {
    const theirs = await encodeTrustAnchor(await generateTrustAnchor({ trustDomain }));
    const store = new MemoryStore();
    store.raceWith = theirs;
    const loaded = await loadTrustAnchor({ store, trustDomain, log: quiet });
    assert.equal(loaded.anchor.root.certificate.toString('pem') + '\n', theirs[anchorFiles.rootCertificate]);
  });

  it('never replaces a stored anchor it cannot use', async () => {
    const store = new MemoryStore();
    store.files = { [anchorFiles.rootCertificate]: 'not a certificate' };
    await assert.rejects(loadTrustAnchor({ store, trustDomain, log: quiet }), refusedFor(/memory cannot be used/));
    assert.equal(store.creates, 0);
    assert.deepEqual(store.files, { [anchorFiles.rootCertificate]: 'not a certificate' });
  });

  it('reads files given at install, and says so when the folder is missing', async () => {
    const anchor = await generateTrustAnchor({ trustDomain });
    const dir = mkdtempSync(join(tmpdir(), 'weft-anchor-dir-'));
    try {
      for (const [name, text] of Object.entries(await encodeTrustAnchor(anchor))) writeFileSync(join(dir, name), text ?? '', { mode: 0o600 });
      const loaded = await loadTrustAnchor({ store: new AnchorDirectory(dir), trustDomain, log: quiet });
      assert.equal(loaded.origin, 'loaded');
      assert.equal(loaded.anchor.root.certificate.serialNumber, anchor.root.certificate.serialNumber);
      await assert.rejects(loadTrustAnchor({ store: new AnchorDirectory(join(dir, 'nope')), trustDomain, log: quiet }), /WEFT_CA_ANCHOR_MISSING|does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
