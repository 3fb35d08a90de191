import type { EdgeElement } from './graph-elements.js';

/**
 * Level of detail. Below `detailZoom` the map is an overview: an edge label would be a
 * few pixels high and an arrowhead a dot, so edges are drawn as plain lines and their
 * labels are neither drawn nor kept current in cytoscape. That matters for speed: with
 * 2,000 edges, every label a live update rewrites costs cytoscape a style pass and a text
 * measurement, which is most of a frame. Labels left stale meanwhile are written when the
 * person zooms in.
 */
export const detailZoom = 0.5;

/** What cytoscape must be told about an edge that changed. */
export interface EdgeUpdate {
  /** The data fields to write; null when nothing visible changed. */
  data: Partial<Pick<EdgeElement, 'health' | 'mtls' | 'width' | 'label'>> | null;
  /** The label changed but is not shown: write it when labels are shown again. */
  labelStale: boolean;
}

export function edgeUpdate(before: EdgeElement, after: EdgeElement, labelsShown: boolean): EdgeUpdate {
  const data: NonNullable<EdgeUpdate['data']> = {};
  if (before.health !== after.health) data.health = after.health;
  if (before.mtls !== after.mtls) data.mtls = after.mtls;
  if (before.width !== after.width) data.width = after.width;
  const labelChanged = before.label !== after.label;
  if (labelChanged && labelsShown) data.label = after.label;
  return { data: Object.keys(data).length > 0 ? data : null, labelStale: labelChanged && !labelsShown };
}
