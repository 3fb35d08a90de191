// Unit tier: hostile CSRs, built byte by byte, are refused before anything is signed.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { CaRefusal } from './ca-error.js';
import { checkCsr, maxCsrPemLength } from './csr-check.js';
import { bitString, boolean, explicit, integer, octetString, oid, sequence, set, tlv } from '@weft/api/der';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = publicKey.export({ type: 'spki', format: 'der' });

const extension = (id: string, value: Buffer, critical = false): Buffer => sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
const uriSan = (uri: string | Buffer): Buffer => extension('2.5.29.17', sequence(tlv(0x86, typeof uri === 'string' ? Buffer.from(uri) : uri)));
const good = uriSan('spiffe://cluster.local/ns/shop/sa/checkout');

function csr(options: { extensions?: Buffer[]; attributes?: Buffer[]; key?: Buffer; signer?: KeyObject } = {}): string {
  const request = (extensions: Buffer[]): Buffer => sequence(oid('1.2.840.113549.1.9.14'), set(sequence(...extensions)));
  const attributes = options.attributes ?? [request(options.extensions ?? [good])];
  const info = sequence(integer(Buffer.from([0])), sequence(), options.key ?? spki, tlv(0xa0, ...attributes));
  const signature = sign('sha256', info, options.signer ?? privateKey);
  const der = sequence(info, sequence(oid('1.2.840.10045.4.3.2')), bitString(signature));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}

const refusedAs = (code: string) => (e: unknown): boolean => e instanceof CaRefusal && e.kind === 'invalid-argument' && e.code === code;

describe('checkCsr against hostile requests', () => {
  it('accepts a well-formed request built by hand', async () => {
    const checked = await checkCsr(csr());
    assert.equal(checked.spiffeId.toString(), 'spiffe://cluster.local/ns/shop/sa/checkout');
  });

  it('refuses oversized input unread, whatever its shape: the cost does not grow with the size', async () => {
    // 40× the input must not cost 40× the time: the length is checked before anything is scanned.
    const cost = async (times: number): Promise<number> => {
      const huge = '-----BEGIN CERTIFICATE REQUEST-----'.repeat(times);
      const started = process.hrtime.bigint();
      for (let i = 0; i < 50; i++) await assert.rejects(checkCsr(huge), refusedAs('WEFT_CA_MALFORMED_CSR'));
      return Number(process.hrtime.bigint() - started);
    };
    await cost(1000); // warm-up
    const small = await cost(1000);
    const large = await cost(40_000);
    assert.ok(large < small * 10, `refusing 40× the input cost ${(large / small).toFixed(1)}× as much`);
    await assert.rejects(checkCsr('x'.repeat(maxCsrPemLength + 1)), refusedAs('WEFT_CA_MALFORMED_CSR'));
    await assert.rejects(checkCsr(`${csr()}${csr()}`), refusedAs('WEFT_CA_MALFORMED_CSR'));
  });

  it('refuses a CA bit hidden behind a first basicConstraints, and repeated extensions', async () => {
    const notCa = extension('2.5.29.19', sequence());
    const isCa = extension('2.5.29.19', sequence(boolean(true)));
    await assert.rejects(checkCsr(csr({ extensions: [good, notCa, isCa] })), refusedAs('WEFT_CA_MALFORMED_CSR'));
    await assert.rejects(checkCsr(csr({ extensions: [good, good] })), refusedAs('WEFT_CA_MALFORMED_CSR'));
    const request = sequence(oid('1.2.840.113549.1.9.14'), set(sequence(good)));
    const second = sequence(oid('1.2.840.113549.1.9.14'), set(sequence(isCa)));
    await assert.rejects(checkCsr(csr({ attributes: [request, second] })), refusedAs('WEFT_CA_MALFORMED_CSR'));
  });

  it('refuses critical extensions it does not understand', async () => {
    const nameConstraints = extension('2.5.29.30', sequence(explicit(0, sequence(tlv(0x82, Buffer.from('example.com'))))), true);
    await assert.rejects(checkCsr(csr({ extensions: [good, nameConstraints] })), refusedAs('WEFT_CA_CSR_EXTENSION'));
  });

  it('refuses a SAN that is not a SEQUENCE, URI bytes outside ASCII, and odd trust domains', async () => {
    const asSet = extension('2.5.29.17', set(tlv(0x86, Buffer.from('spiffe://cluster.local/ns/shop/sa/checkout'))));
    await assert.rejects(checkCsr(csr({ extensions: [asSet] })), refusedAs('WEFT_CA_MALFORMED_CSR'));
    const highBits = Buffer.from('spiffe://cluster.local/ns/shop/sa/checkout');
    highBits[0] = (highBits[0] ?? 0) | 0x80;
    await assert.rejects(checkCsr(csr({ extensions: [uriSan(highBits)] })), refusedAs('WEFT_CA_CSR_SAN'));
    for (const domain of ['..', 'a..b', '-a', 'UPPER.case']) {
      await assert.rejects(checkCsr(csr({ extensions: [uriSan(`spiffe://${domain}/ns/shop/sa/checkout`)] })), refusedAs('WEFT_CA_CSR_SAN'), domain);
    }
  });

  it('refuses keys other than an uncompressed P-256 point in its one DER form', async () => {
    const compressed = publicKey.export({ type: 'spki', format: 'der' });
    const point = compressed.subarray(compressed.length - 65);
    const compressedPoint = Buffer.concat([Buffer.from([(point[64] ?? 0) & 1 ? 0x03 : 0x02]), point.subarray(1, 33)]);
    const compressedSpki = sequence(sequence(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')), bitString(compressedPoint));
    await assert.rejects(checkCsr(csr({ key: compressedSpki })), refusedAs('WEFT_CA_CSR_KEY'));
    const nonMinimal = Buffer.concat([Buffer.from([0x30, 0x81, 0x59]), spki.subarray(2)]);
    await assert.rejects(checkCsr(csr({ key: nonMinimal })), refusedAs('WEFT_CA_MALFORMED_CSR'));
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await assert.rejects(checkCsr(csr({ signer: other.privateKey })), refusedAs('WEFT_CA_BAD_CSR_SIGNATURE'));
  });

  it('refuses a point that is not on the curve, or whose coordinates are not below p', async () => {
    const offCurve = Buffer.from(spki);
    offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] ?? 0) ^ 1;
    await assert.rejects(checkCsr(csr({ key: offCurve })), refusedAs('WEFT_CA_CSR_KEY'));
    const allOnes = Buffer.concat([spki.subarray(0, spki.length - 64), Buffer.alloc(64, 0xff)]);
    await assert.rejects(checkCsr(csr({ key: allOnes })), refusedAs('WEFT_CA_CSR_KEY'));
    const origin = Buffer.concat([spki.subarray(0, spki.length - 64), Buffer.alloc(64)]);
    await assert.rejects(checkCsr(csr({ key: origin })), refusedAs('WEFT_CA_CSR_KEY'));
  });

  it('reads base64 broken into lines of any length, and nothing but base64', async () => {
    const [head = '', body = '', tail = ''] = csr().split('\n');
    const wrapped = (b64: string): string => `${head}\r\n${b64}\r\n${tail}\r\n`;
    const lines = body.replace(/.{64}/g, '$&\n').replace(/.{7}/g, '$& \t');
    assert.equal((await checkCsr(wrapped(lines))).spiffeId.toString(), 'spiffe://cluster.local/ns/shop/sa/checkout');
    for (const bad of [`${body}*`, `${body.slice(0, 10)}=${body.slice(10)}`, `${body}===`, '', ' \n ', `${body.slice(0, 10)}\u00e9${body.slice(10)}`]) {
      await assert.rejects(checkCsr(wrapped(bad)), refusedAs('WEFT_CA_MALFORMED_CSR'), JSON.stringify(bad.slice(0, 20)));
    }
  });
});
