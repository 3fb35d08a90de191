import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartScale, linePath, niceCeiling } from './chart-geometry.js';

describe('chart geometry', () => {
  it('rounds the top of the axis up to a round number', () => {
    assert.equal(niceCeiling(0), 1);
    assert.equal(niceCeiling(0.7), 1);
    assert.equal(niceCeiling(13), 20);
    assert.equal(niceCeiling(21), 25);
    assert.equal(niceCeiling(480), 500);
    assert.equal(niceCeiling(1000), 1000);
  });

  it('scales time across and values up from 0', () => {
    const points = [
      { at: 0, value: 0 },
      { at: 50, value: 5 },
      { at: 100, value: 10 },
    ];
    const scale = chartScale([points]);
    assert.deepEqual(scale, { from: 0, to: 100, min: 0, max: 10 });
    assert.equal(linePath(points, scale, { width: 200, height: 100 }), 'M0 100 L100 50 L200 0');
  });

  it('breaks the line where a step has no value instead of drawing it to zero', () => {
    const points = [
      { at: 0, value: 1 },
      { at: 1, value: null },
      { at: 2, value: 1 },
      { at: 3, value: 1 },
    ];
    assert.equal(linePath(points, chartScale([points], { min: 0, max: 1 }), { width: 3, height: 10 }), 'M0 0 M2 0 L3 0');
  });

  it('keeps a fixed range and clamps into it', () => {
    const points = [{ at: 0, value: 2 }];
    const scale = chartScale([points], { min: 0, max: 1 });
    assert.equal(scale.max, 1);
    assert.equal(linePath(points, scale, { width: 10, height: 10 }), 'M0 0');
  });

  it('survives an empty series', () => {
    const scale = chartScale([[]]);
    assert.ok(scale.to > scale.from && scale.max > scale.min);
    assert.equal(linePath([], scale, { width: 10, height: 10 }), '');
  });
});
