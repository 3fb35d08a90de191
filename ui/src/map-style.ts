import type { StylesheetJson } from 'cytoscape';
import { healthColours, healthOrder, theme } from './health-palette.js';

/**
 * The map's cytoscape stylesheet. Colours come from the palette by the `health` data
 * field (one selector per health, no data mapper), so a live update that changes an edge's
 * health restyles it and nothing else. Edges are plain lines in the overview and get
 * curves, arrowheads and labels (class `detail`) when zoomed in (see edge-update.ts); labels
 * also vanish below a readable on-screen size. Not drawing what cannot be read is what keeps
 * a frame of 2,000 edges fast.
 */
export function mapStyle(): StylesheetJson {
  return [
    {
      selector: 'node.workload',
      style: {
        // Frames below edges below workloads, whatever the order they were added in.
        'z-index-compare': 'manual',
        'z-index': 2,
        shape: 'ellipse',
        width: 28,
        height: 28,
        'background-color': healthColours.idle,
        'border-width': 2,
        'border-color': theme.background,
        label: 'data(label)',
        color: theme.text,
        'font-size': 11,
        'text-valign': 'bottom',
        'text-margin-y': 4,
        'text-outline-color': theme.background,
        'text-outline-width': 2,
        'min-zoomed-font-size': 7,
      },
    },
    { selector: 'node.workload[kind = "outside"]', style: { shape: 'diamond' } },
    ...healthOrder.map((health) => ({ selector: `node.workload[health = "${health}"]`, style: { 'background-color': healthColours[health] } })),
    {
      selector: 'node.namespace',
      style: {
        'z-index-compare': 'manual',
        'z-index': 0,
        width: 'data(width)',
        height: 'data(height)',
        shape: 'round-rectangle',
        'background-color': theme.panel,
        'background-opacity': 0.55,
        'border-width': 1,
        'border-color': theme.border,
        label: 'data(label)',
        color: theme.mutedText,
        'font-size': 36,
        'font-weight': 'bold',
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -4,
        'min-zoomed-font-size': 6,
        // A frame is scenery: clicks and drags go through it to the map.
        events: 'no',
      },
    },
    {
      selector: 'edge',
      style: {
        'z-index-compare': 'manual',
        'z-index': 1,
        width: 'data(width)',
        // The cheapest edge cytoscape draws: a straight line, no arrowhead.
        'curve-style': 'haystack',
        'line-color': healthColours.idle,
      },
    },
    {
      selector: 'edge.detail',
      style: {
        // Curves keep A→B and B→A apart, each with its own label.
        'curve-style': 'bezier',
        'target-arrow-shape': 'triangle',
        'target-arrow-color': healthColours.idle,
        'arrow-scale': 0.9,
        label: 'data(label)',
        color: theme.text,
        'font-size': 10,
        'text-outline-color': theme.background,
        'text-outline-width': 2,
        'min-zoomed-font-size': 8,
      },
    },
    ...healthOrder.map((health) => ({
      selector: `edge[health = "${health}"]`,
      style: { 'line-color': healthColours[health], 'target-arrow-color': healthColours[health] },
    })),
    // Plaintext is dashed as well as unlocked, for those who cannot tell the lock at a glance.
    { selector: 'edge[!mtls]', style: { 'line-style': 'dashed' } },
    {
      selector: 'node.workload:selected',
      style: { 'border-color': theme.focus, 'border-width': 4, 'font-weight': 'bold', 'z-index': 3 },
    },
  ];
}
