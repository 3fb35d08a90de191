import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthColour, healthColours, healthOrder, theme } from './health-palette.js';

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string): number => {
    const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const [r = 0, g = 0, b = 0] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

describe('health colours', () => {
  it('maps every health to its colour', () => {
    assert.equal(healthColour('healthy'), '#4ade80');
    assert.equal(healthColour('degraded'), '#fbbf24');
    assert.equal(healthColour('failing'), '#f87171');
    assert.equal(healthColour('idle'), '#94a3b8');
  });

  it('gives each health its own colour, worst first in the order', () => {
    assert.equal(new Set(Object.values(healthColours)).size, 4);
    assert.deepEqual(healthOrder, ['failing', 'degraded', 'healthy', 'idle']);
  });

  it('is readable as text on both backgrounds (WCAG AA, 4.5:1)', () => {
    for (const colour of [...Object.values(healthColours), theme.text, theme.mutedText]) {
      for (const background of [theme.background, theme.panel]) {
        assert.ok(contrast(colour, background) >= 4.5, `${colour} on ${background}: ${contrast(colour, background).toFixed(2)}:1`);
      }
    }
  });

  it('keeps failing red: red clearly dominates', () => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(healthColours.failing.slice(i, i + 2), 16));
    assert.ok((r ?? 0) > 2 * (g ?? 0) && (r ?? 0) > 2 * (b ?? 0));
  });
});
