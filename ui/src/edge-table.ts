import type { GraphEdge } from '@weft/api';
import { edgeComparator, defaultEdgeSort, type EdgeSort, type EdgeSortKey } from './edge-order.js';
import { formatLatency, formatPercent, formatRate } from './format.js';
import { routeHash, workloadRoute } from './route.js';

export interface EdgeTableOptions {
  caption: string;
  /** Enter on a row: open this workload (the edge's destination). */
  onOpen: (nodeId: string) => void;
}

interface Column {
  key: EdgeSortKey;
  title: string;
  numeric: boolean;
  text: (edge: GraphEdge) => string;
}

const columns: readonly Column[] = [
  { key: 'source', title: 'Source', numeric: false, text: (edge) => edge.source },
  { key: 'target', title: 'Destination', numeric: false, text: (edge) => edge.target },
  { key: 'rps', title: 'Requests', numeric: true, text: (edge) => formatRate(edge.requestsPerSecond) },
  { key: 'success', title: 'Success', numeric: true, text: (edge) => formatPercent(edge.successRate) },
  { key: 'p50', title: 'p50', numeric: true, text: (edge) => formatLatency(edge.latency?.p50 ?? null) },
  { key: 'p95', title: 'p95', numeric: true, text: (edge) => formatLatency(edge.latency?.p95 ?? null) },
  { key: 'p99', title: 'p99', numeric: true, text: (edge) => formatLatency(edge.latency?.p99 ?? null) },
  { key: 'mtls', title: 'mTLS', numeric: false, text: (edge) => (edge.mtls ? '🔒 yes' : 'no') },
  { key: 'health', title: 'Health', numeric: false, text: (edge) => edge.health },
];

interface Row {
  element: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  edge: GraphEdge;
}

/**
 * Edges as an HTML table, kept up to date in place: a row per edge id (`data-edge-id`),
 * its cells rewritten only when their text changes, rows added and removed as edges come
 * and go, and reordered only when the order changed. The row's class is its health
 * (`health-failing`…), coloured by the same palette as the map.
 */
export class EdgeTable {
  readonly element: HTMLTableElement;
  readonly #body: HTMLTableSectionElement;
  readonly #headers: HTMLTableCellElement[] = [];
  readonly #options: EdgeTableOptions;
  readonly #rows = new Map<string, Row>();
  #edges: readonly GraphEdge[] = [];
  #sort: EdgeSort = defaultEdgeSort;

  constructor(options: EdgeTableOptions) {
    this.#options = options;
    this.element = document.createElement('table');
    this.element.className = 'edge-table';
    const caption = this.element.createCaption();
    caption.textContent = options.caption;
    const headRow = this.element.createTHead().insertRow();
    for (const column of columns) {
      const header = document.createElement('th');
      header.scope = 'col';
      if (column.numeric) header.className = 'numeric';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = column.title;
      button.addEventListener('click', () => this.#sortBy(column.key));
      header.append(button);
      headRow.append(header);
      this.#headers.push(header);
    }
    this.#body = this.element.createTBody();
    this.#body.addEventListener('keydown', (event) => this.#onKey(event));
    this.#showSort();
  }

  update(edges: readonly GraphEdge[]): void {
    this.#edges = edges;
    const seen = new Set<string>();
    for (const edge of edges) {
      seen.add(edge.id);
      const row = this.#rows.get(edge.id);
      if (row) this.#fill(row, edge);
      else this.#rows.set(edge.id, this.#newRow(edge));
    }
    for (const [id, row] of this.#rows) {
      if (!seen.has(id)) {
        row.element.remove();
        this.#rows.delete(id);
      }
    }
    this.#order();
  }

  #newRow(edge: GraphEdge): Row {
    const element = document.createElement('tr');
    element.dataset.edgeId = edge.id;
    element.tabIndex = 0;
    const cells = columns.map((column) => {
      const cell = element.insertCell();
      if (column.numeric) cell.className = 'numeric';
      return cell;
    });
    const row = { element, cells, edge };
    this.#fill(row, edge, true);
    return row;
  }

  #fill(row: Row, edge: GraphEdge, fresh = false): void {
    row.edge = edge;
    const className = `health-${edge.health}`;
    if (row.element.className !== className) row.element.className = className;
    columns.forEach((column, i) => {
      const cell = row.cells[i];
      if (!cell) return;
      const text = column.text(edge);
      if (!fresh && cell.textContent === text) return;
      if (column.key === 'source' || column.key === 'target') {
        // A link for the mouse; keyboard users open rows with Enter, one stop per row.
        const link = document.createElement('a');
        link.href = routeHash(workloadRoute(text));
        link.tabIndex = -1;
        link.textContent = text;
        cell.replaceChildren(link);
      } else {
        cell.textContent = text;
      }
    });
  }

  #order(): void {
    const sorted = [...this.#edges].sort(edgeComparator(this.#sort));
    const rows = sorted.flatMap((edge) => this.#rows.get(edge.id)?.element ?? []);
    const current = this.#body.rows;
    if (rows.length === current.length && rows.every((row, i) => current[i] === row)) return;
    // Moving a row out of the document blurs it: give focus back to the row that had it.
    const focused = document.activeElement;
    this.#body.replaceChildren(...rows);
    if (focused instanceof HTMLTableRowElement && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  }

  #sortBy(key: EdgeSortKey): void {
    const direction = this.#sort.key === key && this.#sort.direction === 'ascending' ? 'descending' : 'ascending';
    this.#sort = { key, direction };
    this.#showSort();
    this.#order();
  }

  #showSort(): void {
    columns.forEach((column, i) => {
      const header = this.#headers[i];
      if (!header) return;
      if (column.key === this.#sort.key) header.setAttribute('aria-sort', this.#sort.direction);
      else header.removeAttribute('aria-sort');
    });
  }

  #onKey(event: KeyboardEvent): void {
    const row = event.target;
    if (!(row instanceof HTMLTableRowElement)) return;
    const edge = row.dataset.edgeId === undefined ? undefined : this.#rows.get(row.dataset.edgeId)?.edge;
    if (event.key === 'Enter' && edge) {
      event.preventDefault();
      this.#options.onOpen(edge.target);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (next instanceof HTMLTableRowElement) next.focus();
    }
  }
}
