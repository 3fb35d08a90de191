import type { Health } from '@weft/api';

/**
 * The one palette of the app. The map's cytoscape style and the stylesheet's custom
 * properties (set from this at start) both come from here, so a table row and its edge on
 * the map are always the same colour. Every colour is readable (WCAG AA, ≥ 4.5:1) as text
 * on both background shades; a unit test holds it to that.
 */
export const theme = {
  background: '#0f172a',
  panel: '#1e293b',
  border: '#475569',
  text: '#e2e8f0',
  mutedText: '#94a3b8',
  focus: '#f8fafc',
} as const;

export const healthColours: Readonly<Record<Health, string>> = {
  healthy: '#4ade80',
  degraded: '#fbbf24',
  failing: '#f87171',
  idle: '#94a3b8',
};

export const healthOrder: readonly Health[] = ['failing', 'degraded', 'healthy', 'idle'];

export function healthColour(health: Health): string {
  return healthColours[health];
}


/** The workload page's chart lines: apart from the health colours, so a line never reads as a verdict. */
export const seriesColours = {
  rate: '#38bdf8',
  success: '#a5b4fc',
  p50: '#7dd3fc',
  p95: '#c4b5fd',
  p99: '#f0abfc',
} as const;
