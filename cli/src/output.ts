import { dumpYaml } from '@kubernetes/client-node';
import { UsageError } from './cli-error.js';

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export function parseOutputFormat(value: string, command: string): OutputFormat {
  const format = outputFormats.find((f) => f === value);
  if (!format) throw new UsageError(`--output must be one of ${outputFormats.join(', ')}, not '${value}'`, command);
  return format;
}

/** Data as JSON or YAML (for -o json|yaml); tables are each command's own. */
export function renderData(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : dumpYaml(value, { noRefs: true, lineWidth: -1 });
}

/** Columns padded to their widest cell, kubectl-style: upper-case headers, three spaces apart. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return `${[headers, ...rows].map(line).join('\n')}\n`;
}

/** "99.50%", or "-" when there is nothing to measure. */
export const percent = (share: number | null): string => (share === null ? '-' : `${(share * 100).toFixed(2)}%`);
/** "12.3rps". */
export const rate = (perSecond: number): string => `${perSecond.toFixed(1)}rps`;
/** "3.2ms", or "-". */
export const millis = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)}ms`);
