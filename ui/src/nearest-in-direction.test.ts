import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directionOfKey, nearestInDirection } from './nearest-in-direction.js';
import type { Point } from './stable-layout.js';

const grid: [string, Point][] = [
  ['a', { x: 0, y: 0 }],
  ['b', { x: 100, y: 0 }],
  ['c', { x: 200, y: 0 }],
  ['d', { x: 0, y: 100 }],
  ['e', { x: 90, y: -60 }],
];

describe('nearestInDirection', () => {
  it('moves along the row before jumping rows', () => {
    assert.equal(nearestInDirection({ x: 0, y: 0 }, grid, 'right'), 'b');
    assert.equal(nearestInDirection({ x: 100, y: 0 }, grid, 'left'), 'a');
    assert.equal(nearestInDirection({ x: 0, y: 0 }, grid, 'down'), 'd');
    assert.equal(nearestInDirection({ x: 100, y: 0 }, grid, 'up'), 'e');
  });

  it('finds nothing past the edge', () => {
    assert.equal(nearestInDirection({ x: 0, y: 0 }, grid, 'left'), undefined);
  });

  it('knows the arrow keys only', () => {
    assert.equal(directionOfKey('ArrowUp'), 'up');
    assert.equal(directionOfKey('Enter'), undefined);
    assert.equal(directionOfKey('constructor'), undefined);
  });
});
