import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReconnectBackoff } from './reconnect-backoff.js';

describe('ReconnectBackoff', () => {
  it('doubles from the first delay up to the cap', () => {
    const backoff = new ReconnectBackoff({ initialMs: 500, maxMs: 4000, jitter: 0 });
    assert.deepEqual(Array.from({ length: 6 }, () => backoff.next()), [500, 1000, 2000, 4000, 4000, 4000]);
    assert.equal(backoff.attempts, 6);
  });

  it('starts over after a reset', () => {
    const backoff = new ReconnectBackoff({ initialMs: 100, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 100);
  });

  it('spreads delays by the jitter, never past the cap', () => {
    const low = new ReconnectBackoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => 0 });
    const high = new ReconnectBackoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => 0.999999 });
    assert.equal(low.next(), 800);
    assert.equal(high.next(), 1000);
    const middle = new ReconnectBackoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.2, random: () => 0.75 });
    assert.equal(middle.next(), 1100);
  });
});
