import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { children, content, integer, oid, sequence, time, tlv } from './der.js';

describe('der', () => {
  it('encodes integers, object identifiers and times as RFC 5280 requires', () => {
    assert.equal(integer(Buffer.from([0x00, 0x00, 0x7f])).toString('hex'), '02017f');
    assert.equal(integer(Buffer.from([0x80])).toString('hex'), '02020080', 'a high bit gets a leading zero');
    assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
    assert.equal(oid('2.5.29.17').toString('hex'), '0603551d11');
    assert.equal(time(new Date('2026-11-22T03:04:05Z')).toString('latin1'), '\x17\x0d261122030405Z');
    assert.equal(time(new Date('2051-01-02T03:04:05Z')).toString('latin1'), '\x18\x0f20510102030405Z');
    assert.equal(tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8', 'long form length');
    assert.equal(tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex'), '0482012c', 'two length bytes');
    assert.equal(tlv(0x04, Buffer.alloc(0x10000)).subarray(0, 5).toString('hex'), '0483010000', 'three length bytes');
    assert.equal(tlv(0x30).toString('hex'), '3000', 'empty content');
  });

  it('writes the parts of a value one after another, whole', () => {
    const parts = [Buffer.from('ab'), Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(130, 7)];
    const value = sequence(...parts);
    assert.equal(value.length, 3 + 135);
    assert.deepEqual(value.subarray(0, 3), Buffer.from([0x30, 0x81, 135]));
    assert.deepEqual(value.subarray(3), Buffer.concat(parts));
  });

  it('reads back what it writes and refuses truncated input', () => {
    const seq = sequence(integer(Buffer.from([5])), tlv(0x04, Buffer.from('hi')));
    const [first, second] = children(seq);
    assert.equal(first?.toString('hex'), '020105');
    assert.equal(second && content(second).toString(), 'hi');
    assert.throws(() => children(seq.subarray(0, seq.length - 1)), /truncated/);
    assert.throws(() => children(Buffer.from([0x30])), /truncated/);
    assert.throws(() => children(Buffer.concat([seq, Buffer.from([0x05, 0x00])])), /trailing/);
    assert.throws(() => children(Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1])), /unsupported DER length/);
  });
});
