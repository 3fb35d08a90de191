// How figures read in the map's labels, the tables and the charts. Rates and latencies are
// rounded to what a person compares at a glance; success rates are truncated, never
// rounded up, so 99.996 % never reads as a reassuring "100%".

/** Shown where a figure does not exist (no requests, no responses). */
export const noFigure = '–';

/** Requests per second: "0 req/s", "0.25 req/s", "12.3 req/s", "456 req/s", "1.2k req/s". */
export function formatRate(perSecond: number, unit = 'req/s'): string {
  return `${compactNumber(perSecond)} ${unit}`;
}

/** A share of 1: "100%" only when it is exactly 1; two decimals near the top, where they matter. */
export function formatPercent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return noFigure;
  if (share >= 1) return '100%';
  if (share <= 0) return '0%';
  const decimals = share >= 0.99 ? 2 : 1;
  const scale = 10 ** decimals;
  return `${(Math.floor(share * 100 * scale) / scale).toFixed(decimals)}%`;
}

/** Milliseconds: "0.42 ms", "4.2 ms", "42 ms", "1.23 s". */
export function formatLatency(milliseconds: number | null): string {
  if (milliseconds === null || !Number.isFinite(milliseconds)) return noFigure;
  if (milliseconds <= 0) return '0 ms';
  if (milliseconds >= 1000) return `${(milliseconds / 1000).toFixed(2)} s`;
  if (milliseconds >= 10) return `${Math.round(milliseconds)} ms`;
  if (milliseconds >= 1) return `${milliseconds.toFixed(1)} ms`;
  return `${milliseconds.toFixed(2)} ms`;
}

/** Bytes per second in decimal units: "512 B/s", "1.5 kB/s", "12 MB/s". */
export function formatByteRate(perSecond: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'] as const;
  let value = perSecond;
  let unit: string = units[0];
  for (const next of units.slice(1)) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value >= 10 || unit === 'B/s' ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

function compactNumber(value: number): string {
  if (!Number.isFinite(value) || value <= 0) return '0';
  if (value >= 1_000_000) return `${trimmed(value / 1_000_000)}M`;
  if (value >= 1000) return `${trimmed(value / 1000)}k`;
  if (value >= 100) return String(Math.round(value));
  if (value >= 1) return value.toFixed(1).replace(/\.0$/, '');
  return value.toFixed(2).replace(/0$/, '');
}

// 1.2k, 12k, 123k: one decimal only while it carries information.
function trimmed(value: number): string {
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
}
