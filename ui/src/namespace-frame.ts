import type { Point } from './stable-layout.js';

/** A namespace's frame on the map: centre and size, in model coordinates. */
export interface Frame {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Room around the outermost workloads: their radius, and below them their name. */
export const framePadding = { side: 45, top: 35, bottom: 50 } as const;

/**
 * The frame around a namespace's workloads. The map draws namespaces as plain nodes behind
 * their workloads rather than as cytoscape compound parents: with compound nodes every
 * style change of a workload or edge also dirties its parent and all its siblings, which
 * cost ~25 ms per live update and ~150 ms of first render with 500 workloads (make bench).
 */
export function namespaceFrame(points: readonly Point[]): Frame | undefined {
  if (points.length === 0) return undefined;
  let left = Infinity;
  let right = -Infinity;
  let top = Infinity;
  let bottom = -Infinity;
  for (const { x, y } of points) {
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  }
  left -= framePadding.side;
  right += framePadding.side;
  top -= framePadding.top;
  bottom += framePadding.bottom;
  return { x: (left + right) / 2, y: (top + bottom) / 2, width: right - left, height: bottom - top };
}

export function sameFrame(a: Frame, b: Frame): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}
