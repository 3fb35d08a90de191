import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { framePadding, namespaceFrame, sameFrame } from './namespace-frame.js';

describe('namespaceFrame', () => {
  it('surrounds the workloads with room for their names', () => {
    const frame = namespaceFrame([
      { x: 0, y: 0 },
      { x: 300, y: 110 },
    ]);
    assert.deepEqual(frame, {
      x: 150,
      y: (110 + framePadding.bottom - framePadding.top) / 2,
      width: 300 + 2 * framePadding.side,
      height: 110 + framePadding.top + framePadding.bottom,
    });
  });

  it('has no frame without workloads', () => {
    assert.equal(namespaceFrame([]), undefined);
  });

  it('compares frames by value', () => {
    const a = { x: 1, y: 2, width: 3, height: 4 };
    assert.ok(sameFrame(a, { ...a }));
    assert.ok(!sameFrame(a, { ...a, width: 5 }));
  });
});
