import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { bytesToIp, ipToBytes, unmapIpv4 } from './ip-address.js';

describe('ip-address', () => {
  it('turns IPv4 and IPv6 text into network-order bytes and back', () => {
    const cases: [string, string][] = [
      ['198.18.0.1', 'c6120001'],
      ['::1', '00000000000000000000000000000001'],
      ['fd18::2', 'fd180000000000000000000000000002'],
      ['fd18:10::10', 'fd180010000000000000000000000010'],
      ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
      ['::ffff:198.18.0.1', '00000000000000000000ffffc6120001'],
      ['::', '00000000000000000000000000000000'],
    ];
    for (const [text, hex] of cases) {
      const { family, bytes } = ipToBytes(text);
      assert.equal(bytes.toString('hex'), hex, text);
      assert.equal(family, text.includes(':') ? 6 : 4);
    }
  });

  it('formats IPv6 in the RFC 5952 form Node uses', () => {
    for (const text of ['::1', 'fd18::2', 'fd18:10::10', '2001:db8::1:0:0:1', '::', '1:2:3:4:5:6:7:8']) {
      assert.equal(bytesToIp(6, ipToBytes(text).bytes), text);
    }
    assert.equal(bytesToIp(4, Buffer.from([10, 1, 2, 3, 0, 0])), '10.1.2.3');
  });

  it('names IPv4-mapped peers as IPv4', () => {
    assert.deepEqual(unmapIpv4('::ffff:198.18.0.2'), { family: 4, address: '198.18.0.2' });
    assert.deepEqual(unmapIpv4('fd18::2'), { family: 6, address: 'fd18::2' });
    assert.deepEqual(unmapIpv4('198.18.0.2'), { family: 4, address: '198.18.0.2' });
  });

  it('refuses text that is not an address', () => {
    for (const bad of ['300.1.1.1', 'example.com', '', 'fd18:::1', '1.2.3']) {
      assert.throws(() => ipToBytes(bad), (e) => isWeftError(e, 'WEFT_CAPTURE_BAD_ADDRESS'), bad);
    }
  });
});
