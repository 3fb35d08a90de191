import type { TrafficGraph } from '@weft/api';
import cytoscape from 'cytoscape';
import type { Core, ElementDefinition, NodeSingular } from 'cytoscape';
import { detailZoom, edgeUpdate } from './edge-update.js';
import { diffGraph, isEmptyDiff } from './graph-diff.js';
import { emptyElements, graphElements, namespaceElementId, type GraphElements } from './graph-elements.js';
import { mapStyle } from './map-style.js';
import { namespaceFrame, sameFrame, type Frame } from './namespace-frame.js';
import { directionOfKey, nearestInDirection, type Direction } from './nearest-in-direction.js';
import { StableLayout, type Point } from './stable-layout.js';

export interface TrafficMapOptions {
  container: HTMLElement;
  /** A polite live region: what keyboard selection lands on is read out there. */
  announcer: HTMLElement;
  /** A workload asked to be opened (Enter, double click). */
  onOpen: (nodeId: string) => void;
  /** The selection changed (null: none). */
  onSelect: (nodeId: string | null) => void;
}

/**
 * The traffic map: cytoscape over a StableLayout. Each graph is applied as a diff in one
 * batch (one style pass, one redraw), writing only what is visible at the current level
 * of detail (edge-update.ts); the viewport is fitted only when the scope changes, so a live
 * update never moves what the person is looking at. Namespaces are frames drawn behind
 * their workloads (namespace-frame.ts says why they are not compound nodes).
 */
export class TrafficMap {
  readonly cy: Core;
  readonly #options: TrafficMapOptions;
  readonly #layout = new StableLayout();
  #shown: GraphElements = emptyElements();
  #fitPending = true;
  /** Whether edges are drawn in detail (zoomed in): curves, arrowheads, labels. */
  #detail = false;
  /** Edges whose label changed while not shown (see edge-update.ts). */
  readonly #staleLabels = new Set<string>();
  /** Each namespace's frame as drawn, by frame id. */
  readonly #frames = new Map<string, Frame>();

  constructor(options: TrafficMapOptions) {
    this.#options = options;
    this.cy = cytoscape({
      container: options.container,
      style: mapStyle(),
      layout: { name: 'preset' },
      minZoom: 0.02,
      maxZoom: 4,
      boxSelectionEnabled: false,
      selectionType: 'single',
      // Redrawing 2,000 edges on every frame of a pan would stutter; they return when it stops.
      hideEdgesOnViewport: true,
    });
    this.cy.on('zoom', () => this.#setDetail(this.cy.zoom() >= detailZoom));
    this.cy.on('render', () => {
      performance.clearMarks('weft:map-drawn');
      performance.mark('weft:map-drawn');
    });
    this.cy.on('drag', 'node.workload', (event) => {
      const namespace = String((event.target as NodeSingular).data('namespace'));
      this.cy.batch(() => this.#reframe([namespace]));
    });
    this.cy.on('dragfree', 'node.workload', (event) => {
      const node = event.target as NodeSingular;
      this.#layout.remember(node.id(), node.position());
    });
    this.cy.on('select', 'node.workload', (event) => this.#selected(event.target as NodeSingular));
    this.cy.on('unselect', 'node.workload', () => {
      if (this.cy.$('node.workload:selected').empty()) options.onSelect(null);
    });
    this.cy.on('dbltap', 'node.workload', (event) => options.onOpen((event.target as NodeSingular).id()));
    options.container.addEventListener('keydown', (event) => this.#onKey(event));
  }

  show(graph: TrafficGraph): void {
    const next = graphElements(graph, this.#shown);
    const diff = diffGraph(this.#shown, next);
    const before = this.#shown;
    this.#shown = next;
    if (!isEmptyDiff(diff)) {
      const positions = this.#layout.place(diff.added.nodes);
      const edgeClasses = this.#detail ? 'detail' : '';
      // Namespaces whose frame may move: they gained or lost workloads.
      const reframed = new Set(diff.added.nodes.map((node) => node.namespace));
      this.cy.batch(() => {
        for (const id of diff.removed) {
          const namespace = before.nodes.get(id)?.namespace;
          if (namespace !== undefined) reframed.add(namespace);
          this.cy.getElementById(id).remove();
          this.#staleLabels.delete(id);
          this.#frames.delete(id);
        }
        const additions: ElementDefinition[] = [
          ...diff.added.namespaces.map((ns) => ({
            group: 'nodes' as const,
            data: { ...ns, width: 1, height: 1 },
            classes: 'namespace',
            selectable: false,
            grabbable: false,
          })),
          ...diff.added.nodes.map((node) => ({
            group: 'nodes' as const,
            data: { ...node },
            classes: 'workload',
            position: { ...(positions.get(node.id) ?? { x: 0, y: 0 }) },
          })),
          ...diff.added.edges.map((edge) => ({ group: 'edges' as const, data: { ...edge }, classes: edgeClasses, selectable: false })),
        ];
        if (additions.length > 0) this.cy.add(additions);
        this.#reframe(reframed);
        for (const node of diff.changed.nodes) this.cy.getElementById(node.id).data({ health: node.health });
        for (const edge of diff.changed.edges) {
          const previous = before.edges.get(edge.id);
          if (!previous) continue;
          const update = edgeUpdate(previous, edge, this.#detail);
          if (update.data) this.cy.getElementById(edge.id).data(update.data);
          if (update.labelStale) this.#staleLabels.add(edge.id);
        }
      });
    }
    if (this.#fitPending) this.fit();
  }

  /** The next graph is of another scope (filter changed): fit the view to it. */
  refit(): void {
    this.#fitPending = true;
  }

  /** After the map's container was hidden or resized. */
  resize(): void {
    this.cy.resize();
    if (this.#fitPending) this.fit();
  }

  fit(): void {
    // A hidden container has no size to fit into; try again when it is shown.
    if (this.cy.width() === 0 || this.cy.nodes().empty()) return;
    this.cy.fit(undefined, 40);
    // A handful of workloads would be blown up to the maximum zoom.
    if (this.cy.zoom() > 1.5) this.cy.zoom({ level: 1.5, renderedPosition: { x: this.cy.width() / 2, y: this.cy.height() / 2 } });
    this.#fitPending = false;
  }

  /** Fits the frames of `namespaces` to their workloads, touching only frames that change. */
  #reframe(namespaces: Iterable<string>): void {
    const members = new Map<string, Point[]>();
    for (const namespace of namespaces) members.set(namespace, []);
    for (const node of this.#shown.nodes.values()) {
      members.get(node.namespace)?.push(this.cy.getElementById(node.id).position());
    }
    for (const [namespace, points] of members) {
      const id = namespaceElementId(namespace);
      const frame = namespaceFrame(points);
      const drawn = this.#frames.get(id);
      if (!frame || (drawn && sameFrame(drawn, frame))) continue;
      const element = this.cy.getElementById(id);
      if (element.empty()) continue;
      element.position({ x: frame.x, y: frame.y });
      element.data({ width: frame.width, height: frame.height });
      this.#frames.set(id, frame);
    }
  }

  #setDetail(detail: boolean): void {
    if (detail === this.#detail) return;
    this.#detail = detail;
    this.cy.batch(() => {
      if (detail) {
        for (const id of this.#staleLabels) {
          const label = this.#shown.edges.get(id)?.label;
          if (label !== undefined) this.cy.getElementById(id).data({ label });
        }
        this.#staleLabels.clear();
        this.cy.edges().addClass('detail');
      } else {
        this.cy.edges().removeClass('detail');
      }
    });
  }

  select(nodeId: string): void {
    const node = this.cy.getElementById(nodeId);
    if (node.empty() || !node.isNode()) return;
    this.cy.$(':selected').unselect();
    node.select();
    this.#reveal(node);
  }

  #selected(node: NodeSingular): void {
    const health = String(node.data('health'));
    const inbound = node.incomers('edge').length;
    const outbound = node.outgoers('edge').length;
    this.#options.announcer.textContent = `${node.id()}: ${health}, ${inbound} inbound and ${outbound} outbound edges. Enter opens it.`;
    this.#options.onSelect(node.id());
  }

  #onKey(event: KeyboardEvent): void {
    const direction = directionOfKey(event.key);
    const selected = this.cy.$('node.workload:selected').nodes().first();
    if (direction) {
      event.preventDefault();
      const target = selected.empty() ? this.#firstNode() : this.#neighbourOf(selected, direction);
      if (target) this.select(target);
    } else if (event.key === 'Enter' && !selected.empty()) {
      event.preventDefault();
      this.#options.onOpen(selected.id());
    } else if (event.key === 'Escape') {
      this.cy.$(':selected').unselect();
    } else if (event.key === '+' || event.key === '=') {
      this.#zoomBy(1.25);
    } else if (event.key === '-') {
      this.#zoomBy(0.8);
    } else if (event.key === '0') {
      this.fit();
    }
  }

  #neighbourOf(selected: NodeSingular, direction: Direction): string | undefined {
    const candidates = this.cy
      .nodes('.workload')
      .toArray()
      .filter((node) => node.id() !== selected.id())
      .map((node): readonly [string, Point] => [node.id(), node.position()]);
    return nearestInDirection(selected.position(), candidates, direction);
  }

  /** Top-left first, the way a page is read. */
  #firstNode(): string | undefined {
    let best: { id: string; at: Point } | undefined;
    for (const node of this.cy.nodes('.workload').toArray()) {
      const at = node.position();
      if (!best || at.y < best.at.y || (at.y === best.at.y && at.x < best.at.x)) best = { id: node.id(), at };
    }
    return best?.id;
  }

  #reveal(node: NodeSingular): void {
    const box = node.renderedBoundingBox();
    if (box.x1 < 0 || box.y1 < 0 || box.x2 > this.cy.width() || box.y2 > this.cy.height()) this.cy.center(node);
  }

  #zoomBy(factor: number): void {
    this.cy.zoom({ level: this.cy.zoom() * factor, renderedPosition: { x: this.cy.width() / 2, y: this.cy.height() / 2 } });
  }
}
