import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { checkLayout, type Codec } from './codec.js';

const codec: Codec<number> = {
  name: 'weft_example',
  size: 8,
  offsets: { a: 0, b: 4 },
  encode: () => Buffer.alloc(8),
  decode: () => 0,
};

const mismatch = (e: unknown): boolean => isWeftError(e, 'WEFT_NATIVE_LAYOUT_MISMATCH');

describe('checkLayout', () => {
  it('accepts a layout equal to the codec', () => {
    checkLayout(codec, { size: 8, members: [{ name: 'a', offset: 0, size: 4 }, { name: 'b', offset: 4, size: 4 }] });
  });

  it('names the difference when C and TypeScript disagree', () => {
    assert.throws(() => checkLayout(codec, null), mismatch);
    assert.throws(() => checkLayout(codec, { size: 12, members: [] }), /size is 12 in C but 8/);
    assert.throws(() => checkLayout(codec, { size: 8, members: [{ name: 'a', offset: 0, size: 4 }, { name: 'b', offset: 6, size: 2 }] }), /member b is at 6 in C but 4/);
    assert.throws(() => checkLayout(codec, { size: 8, members: [{ name: 'a', offset: 0, size: 4 }, { name: 'c', offset: 4, size: 4 }] }), /member c is missing/);
    assert.throws(() => checkLayout(codec, { size: 8, members: [{ name: 'a', offset: 0, size: 8 }] }), /member b does not exist in C/);
  });
});
