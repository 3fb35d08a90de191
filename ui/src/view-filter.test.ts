import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultFilter, liveRequestFor, sameFilter, windowChoices } from './view-filter.js';

describe('liveRequestFor', () => {
  it('asks for the window and every namespace by default', () => {
    assert.deepEqual(liveRequestFor(defaultFilter), { type: 'watch', windowSeconds: 60 });
  });

  it('names the namespace when one is chosen', () => {
    assert.deepEqual(liveRequestFor({ windowSeconds: 300, namespace: 'shop' }), { type: 'watch', windowSeconds: 300, namespace: 'shop' });
  });

  it('offers 1, 5 and 15 minutes, all inside the contract (10 to 900 s)', () => {
    assert.deepEqual(
      windowChoices.map((choice) => choice.seconds),
      [60, 300, 900],
    );
    for (const choice of windowChoices) assert.ok(choice.seconds >= 10 && choice.seconds <= 900);
  });

  it('compares filters by value', () => {
    assert.ok(sameFilter({ windowSeconds: 60, namespace: null }, { ...defaultFilter }));
    assert.ok(!sameFilter({ windowSeconds: 60, namespace: 'a' }, defaultFilter));
  });
});
