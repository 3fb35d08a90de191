import type { TrafficGraph } from '@weft/api';
import { ApiClient } from './api-client.js';
import { liveUrl } from './api-urls.js';
import { browserSocket } from './browser-socket.js';
import { ConnectionStatus } from './connection-status.js';
import { EdgeTable } from './edge-table.js';
import { FilterControls } from './filter-controls.js';
import { GraphFeed } from './graph-feed.js';
import { healthColours, theme } from './health-palette.js';
import { installInspectionHandle } from './inspection-handle.js';
import { LiveConnection } from './live-connection.js';
import { parseRoute, routeHash, workloadRoute, type Route } from './route.js';
import { TrafficMap } from './traffic-map.js';
import { UiError } from './ui-error.js';
import { defaultFilter, liveRequestFor, sameFilter, windowChoices, type ViewFilter } from './view-filter.js';
import { WorkloadPage } from './workload-page.js';

/**
 * Wires the app: one GraphFeed fed by a REST snapshot (at start and on each filter change,
 * for a fast first paint) and by the live WebSocket; the map, the table and the workload
 * page read from it. Pages are hash routes (#/, #/table, #/workload/<ns>/<name>).
 */
export class WeftApp {
  readonly #document: Document;
  readonly #window: Window;
  readonly #feed = new GraphFeed();
  readonly #api: ApiClient;
  readonly #map: TrafficMap;
  readonly #table: EdgeTable;
  readonly #workload: WorkloadPage;
  readonly #controls: FilterControls;
  readonly #live: LiveConnection;
  readonly #pages: Record<Route['page'], HTMLElement>;
  #filter: ViewFilter = defaultFilter;
  #route: Route = { page: 'map' };
  #snapshot: AbortController | null = null;
  /** The table is only brought up to date while it is shown. */
  #tableStale = true;

  constructor(document: Document, window: Window) {
    this.#document = document;
    this.#window = window;
    applyPalette(document.documentElement);
    this.#api = new ApiClient(window.location.href);
    this.#pages = { map: this.#element('map-page'), table: this.#element('table-page'), workload: this.#element('workload-page') };
    const open = (nodeId: string): void => this.#navigate(workloadRoute(nodeId));
    this.#map = new TrafficMap({
      container: this.#element('map'),
      announcer: this.#element('map-announcer'),
      onOpen: open,
      onSelect: (nodeId) => this.#showSelection(nodeId),
    });
    this.#table = new EdgeTable({ caption: 'Edges in the window', onOpen: open });
    this.#element('table-container').replaceChildren(this.#table.element);
    this.#workload = new WorkloadPage({
      element: this.#element('workload-page'),
      api: this.#api,
      onOpen: open,
      onTitle: (title) => (document.title = `${title} — Weft`),
    });
    this.#controls = new FilterControls({
      namespace: this.#element('namespace-filter', HTMLSelectElement),
      window: this.#element('window-filter', HTMLSelectElement),
      initial: this.#filter,
      onChange: (filter) => this.#setFilter(filter),
    });
    const status = new ConnectionStatus(this.#element('live-status'));
    this.#live = new LiveConnection({
      url: liveUrl(window.location.href),
      connect: browserSocket,
      request: () => liveRequestFor(this.#filter),
      onGraph: (graph) => this.#feed.offer(graph),
      onStatus: (liveStatus) => status.show(liveStatus),
    });
    this.#element('map-fit').addEventListener('click', () => this.#map.fit());
    this.#feed.subscribe((graph) => this.#apply(graph));
    installInspectionHandle(window, { map: this.#map.cy, renders: () => this.#feed.renders, lastGraph: () => this.#feed.last });
  }

  start(): void {
    this.#window.addEventListener('hashchange', () => this.#showRoute(parseRoute(this.#window.location.hash)));
    this.#showRoute(parseRoute(this.#window.location.hash));
    this.#loadSnapshot();
    this.#live.start();
  }

  #apply(graph: TrafficGraph): void {
    this.#map.show(graph);
    this.#controls.setNamespaces(graph.namespaces);
    const window = windowChoices.find((choice) => choice.seconds === graph.windowSeconds)?.label ?? `${graph.windowSeconds} s`;
    this.#element('map-summary').textContent = `${graph.nodes.length} workloads · ${graph.edges.length} edges · last ${window}`;
    if (this.#route.page === 'table') this.#table.update(graph.edges);
    else this.#tableStale = true;
    if (this.#route.page === 'workload') this.#workload.refresh();
  }

  #setFilter(filter: ViewFilter): void {
    if (sameFilter(filter, this.#filter)) return;
    this.#filter = filter;
    this.#feed.restart();
    this.#map.refit();
    this.#live.update();
    this.#loadSnapshot();
    if (this.#route.page === 'workload') this.#workload.open(this.#route.namespace, this.#route.name, filter.windowSeconds);
  }

  #loadSnapshot(): void {
    this.#snapshot?.abort();
    const controller = new AbortController();
    this.#snapshot = controller;
    const notice = this.#element('notice');
    this.#api
      .graph(this.#filter, controller.signal)
      .then((graph) => {
        if (controller.signal.aborted) return;
        notice.hidden = true;
        this.#feed.offer(graph);
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        notice.textContent = `Could not load the traffic graph: ${error instanceof Error ? error.message : String(error)}`;
        notice.hidden = false;
      });
  }

  #navigate(route: Route): void {
    this.#window.location.hash = routeHash(route);
  }

  #showRoute(route: Route): void {
    const previous = this.#route;
    this.#route = route;
    for (const [page, element] of Object.entries(this.#pages)) element.hidden = page !== route.page;
    for (const link of this.#document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
      if (link.dataset.page === route.page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (previous.page === 'workload' && route.page !== 'workload') this.#workload.close();
    switch (route.page) {
      case 'map':
        this.#document.title = 'Traffic map — Weft';
        this.#map.resize();
        break;
      case 'table':
        this.#document.title = 'Edges — Weft';
        if (this.#tableStale) this.#table.update(this.#feed.last?.edges ?? []);
        this.#tableStale = false;
        break;
      case 'workload':
        this.#workload.open(route.namespace, route.name, this.#filter.windowSeconds);
        break;
    }
  }

  #showSelection(nodeId: string | null): void {
    const selection = this.#element('map-selection');
    if (nodeId === null) {
      selection.replaceChildren();
      return;
    }
    const health = String(this.#map.cy.getElementById(nodeId).data('health'));
    const link = this.#document.createElement('a');
    link.href = routeHash(workloadRoute(nodeId));
    link.textContent = `Open ${nodeId}`;
    const badge = this.#document.createElement('span');
    badge.className = `health-badge health-${health}`;
    badge.textContent = health;
    selection.replaceChildren(link, ' ', badge);
  }

  #element(id: string): HTMLElement;
  #element<T extends HTMLElement>(id: string, type: new () => T): T;
  #element(id: string, type: new () => HTMLElement = HTMLElement): HTMLElement {
    const element = this.#document.getElementById(id);
    if (!(element instanceof type)) throw new UiError('WEFT_UI_BAD_PAGE', `index.html has no <${type.name}> #${id}: the page and the script are from different builds`);
    return element;
  }
}

/** The palette as CSS custom properties, so the stylesheet's colours are the map's. */
function applyPalette(root: HTMLElement): void {
  for (const [health, colour] of Object.entries(healthColours)) root.style.setProperty(`--health-${health}`, colour);
  for (const [name, colour] of Object.entries(theme)) root.style.setProperty(`--${kebab(name)}`, colour);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
