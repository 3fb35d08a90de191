import type { Point } from './stable-layout.js';

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The node an arrow key moves to: the nearest one lying in that direction, within a 45°
 * cone either side, where distance across the arrow counts double (so "right" prefers the
 * node on the same row over a closer one further up). Undefined when nothing lies that way.
 */
export function nearestInDirection(from: Point, candidates: Iterable<readonly [string, Point]>, direction: Direction): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const [id, point] of candidates) {
    const dx = point.x - from.x;
    const dy = point.y - from.y;
    const along = direction === 'left' ? -dx : direction === 'right' ? dx : direction === 'up' ? -dy : dy;
    const across = Math.abs(direction === 'left' || direction === 'right' ? dy : dx);
    if (along <= 0 || across > along) continue;
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = id;
    }
  }
  return best;
}

const keyDirections = new Map<string, Direction>([
  ['ArrowLeft', 'left'],
  ['ArrowRight', 'right'],
  ['ArrowUp', 'up'],
  ['ArrowDown', 'down'],
]);

/** The direction an arrow key (KeyboardEvent.key) moves in; undefined for any other key. */
export function directionOfKey(key: string): Direction | undefined {
  return keyDirections.get(key);
}
