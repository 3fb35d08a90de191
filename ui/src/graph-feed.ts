import type { TrafficGraph } from '@weft/api';

/**
 * The one writer of "the graph on screen". Snapshots (REST) and live messages (WebSocket)
 * are both offered here; a graph older than the one shown is dropped, so a slow snapshot
 * cannot undo a newer live update. Views subscribe and apply each accepted graph.
 */
export type GraphListener = (graph: TrafficGraph) => void;

export class GraphFeed {
  readonly #listeners = new Set<GraphListener>();
  #last: TrafficGraph | null = null;
  /** The `at` a graph must reach to be applied; reset when the scope changes. */
  #floor = -Infinity;
  #renders = 0;

  /** The last graph applied, null before the first. */
  get last(): TrafficGraph | null {
    return this.#last;
  }

  /** How many graphs have been applied. */
  get renders(): number {
    return this.#renders;
  }

  /** Applies `graph` unless a newer one is shown; true when it was applied. */
  offer(graph: TrafficGraph): boolean {
    if (graph.at < this.#floor) return false;
    this.#floor = graph.at;
    this.#last = graph;
    for (const listener of this.#listeners) listener(graph);
    this.#renders++;
    // A User Timing mark: visible in the browser's performance panel, read by `make bench`.
    performance.clearMarks('weft:graph-applied');
    performance.mark('weft:graph-applied', { detail: { renders: this.#renders } });
    return true;
  }

  /** After a filter change the next graph is of another scope: whatever its time, it applies. */
  restart(): void {
    this.#floor = -Infinity;
  }

  subscribe(listener: GraphListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
