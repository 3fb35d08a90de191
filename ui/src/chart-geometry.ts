/**
 * The pure part of the workload page's line charts: scales and SVG path data. A sample
 * without a value (no requests in that step) breaks the line instead of drawing it to 0,
 * which would read as an outage.
 */

export interface ChartPoint {
  at: number;
  value: number | null;
}

export interface ChartBox {
  width: number;
  height: number;
}

export interface ChartScale {
  /** Time range shown, ms since the epoch. */
  from: number;
  to: number;
  /** Value range shown; min is 0 unless given. */
  min: number;
  max: number;
}

export function chartScale(series: readonly (readonly ChartPoint[])[], fixed: { min?: number; max?: number } = {}): ChartScale {
  let from = Infinity;
  let to = -Infinity;
  let top = -Infinity;
  for (const points of series) {
    for (const point of points) {
      from = Math.min(from, point.at);
      to = Math.max(to, point.at);
      if (point.value !== null) top = Math.max(top, point.value);
    }
  }
  if (!Number.isFinite(from)) from = to = 0;
  const min = fixed.min ?? 0;
  const max = fixed.max ?? niceCeiling(Number.isFinite(top) ? top : 0);
  return { from, to: to > from ? to : from + 1, min, max: max > min ? max : min + 1 };
}

/** The SVG `d` of one series: "M x y L x y …", a new "M" after each gap. */
export function linePath(points: readonly ChartPoint[], scale: ChartScale, box: ChartBox): string {
  const parts: string[] = [];
  let drawing = false;
  for (const point of points) {
    if (point.value === null) {
      drawing = false;
      continue;
    }
    const x = ((point.at - scale.from) / (scale.to - scale.from)) * box.width;
    const clamped = Math.min(scale.max, Math.max(scale.min, point.value));
    const y = box.height - ((clamped - scale.min) / (scale.max - scale.min)) * box.height;
    parts.push(`${drawing ? 'L' : 'M'}${round(x)} ${round(y)}`);
    drawing = true;
  }
  return parts.join(' ');
}

/** The next "round" number at or above `value`: 1, 2, 2.5, 5 or 10 times a power of ten. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
