import type { TrafficGraph } from '@weft/api';
import type { Core } from 'cytoscape';

/**
 * `window.weft`: a read-only handle for end-to-end tests, benchmarks and debugging from the
 * browser's console. Its shape is a promise to those tests; change it only with them.
 *
 *   weft.map        the cytoscape instance (node ids "<ns>/<name>", edge ids "<source>-><target>",
 *                   as the contract gives them; e.g. weft.map.$id(id).style('line-color'))
 *   weft.renders    how many graph updates have been applied (snapshots and live messages)
 *   weft.lastGraph  the last TrafficGraph applied, or null before the first
 */
export interface WeftInspection {
  readonly map: Core;
  readonly renders: number;
  readonly lastGraph: TrafficGraph | null;
}

export interface InspectionSource {
  map: Core;
  renders: () => number;
  lastGraph: () => TrafficGraph | null;
}

declare global {
  interface Window {
    readonly weft?: WeftInspection;
  }
}

export function installInspectionHandle(target: Window, source: InspectionSource): WeftInspection {
  const handle: WeftInspection = Object.freeze({
    get map() {
      return source.map;
    },
    get renders() {
      return source.renders();
    },
    get lastGraph() {
      return source.lastGraph();
    },
  });
  Object.defineProperty(target, 'weft', { value: handle, enumerable: true });
  return handle;
}
