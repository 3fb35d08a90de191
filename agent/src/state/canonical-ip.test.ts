import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalIp } from './canonical-ip.js';

describe('canonicalIp', () => {
  it('gives one text per address', () => {
    const cases: [string, string][] = [
      ['10.0.0.1', '10.0.0.1'],
      ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::', '::'],
      ['::ffff:10.1.2.3', '10.1.2.3'],
      ['::FFFF:a01:203', '10.1.2.3'],
      ['::10.1.2.3', '::a01:203'],
    ];
    for (const [text, canonical] of cases) assert.equal(canonicalIp(text), canonical, text);
  });

  it('refuses what is not a plain IP address', () => {
    for (const text of ['10.0.0.999', '010.0.0.1', 'fe80::1%eth0', ' 10.0.0.1', 'cart', '', '1.2.3']) {
      assert.equal(canonicalIp(text), undefined, text);
    }
  });
});
