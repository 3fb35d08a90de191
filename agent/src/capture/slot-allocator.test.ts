import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { SlotAllocator } from './slot-allocator.js';

describe('SlotAllocator', () => {
  it('hands out every slot once, refuses when full and reuses released ones', () => {
    const slots = new SlotAllocator(3);
    const taken = [slots.take(), slots.take(), slots.take()];
    assert.deepEqual([...taken].sort(), [0, 1, 2]);
    assert.throws(() => slots.take(), (e) => isWeftError(e, 'WEFT_CAPTURE_FULL'));
    slots.release(1);
    slots.release(1);
    assert.equal(slots.take(), 1);
    assert.throws(() => slots.take(), (e) => isWeftError(e, 'WEFT_CAPTURE_FULL'));
  });
});
