/**
 * Places workloads on the map once and keeps them there: a node that stays keeps its
 * position across updates, a node that leaves and comes back returns to where it was, and
 * only new nodes are placed. A full force-directed re-layout on every update would make the
 * map jump; this is a grid instead, which also scales to thousands of nodes in a few ms.
 *
 * Each namespace gets a block of grid cells (packed left to right in shelves), sized for
 * the nodes it had when it first appeared plus a spare row; later nodes fill the block's
 * free cells and then grow it downwards. A cell holds one node, so nodes never overlap, and
 * cells reserved by one namespace are never given to another.
 */

export interface Point {
  x: number;
  y: number;
}

/** What the layout needs to know of a node. */
export interface Placeable {
  id: string;
  /** Nodes of one namespace are kept together (the map draws them in one compound node). */
  namespace: string;
}

export interface StableLayoutOptions {
  /** Horizontal distance between node centres, px. */
  cellWidth?: number;
  /** Vertical distance between node centres, px. */
  cellHeight?: number;
  /** Empty cells between namespace blocks (room for the compound node's border and title). */
  gap?: number;
  /** Width of a shelf of blocks in cells; by default chosen from the first nodes placed. */
  shelfWidth?: number;
}

interface Block {
  column: number;
  row: number;
  width: number;
  /** Rows reserved so far (the block grows downwards when it is full). */
  height: number;
  /**
   * Cells before this one (counted row by row from the block's corner) are taken for good —
   * a cell is never given back — so the next node is looked for from here: placing n nodes
   * costs n, not n².
   */
  next: number;
}

interface Cell {
  column: number;
  row: number;
}

export class StableLayout {
  readonly #cellWidth: number;
  readonly #cellHeight: number;
  readonly #gap: number;
  #shelfWidth: number | undefined;
  readonly #positions = new Map<string, Point>();
  /** "column,row" → the id of the node there. */
  readonly #occupied = new Map<string, string>();
  /** "column,row" → the namespace the cell is reserved for. */
  readonly #reserved = new Map<string, string>();
  readonly #blocks = new Map<string, Block>();
  #shelf = { column: 0, row: 0, height: 0 };
  /** One past the lowest reserved row. */
  #bottom = 0;

  constructor(options: StableLayoutOptions = {}) {
    this.#cellWidth = options.cellWidth ?? 150;
    this.#cellHeight = options.cellHeight ?? 110;
    this.#gap = options.gap ?? 1;
    this.#shelfWidth = options.shelfWidth;
  }

  /**
   * Positions for `nodes`: those seen before keep theirs, new ones are placed. Placement
   * is deterministic (namespaces, then ids, in sorted order), whatever the input order.
   */
  place(nodes: readonly Placeable[]): Map<string, Point> {
    const fresh = nodes.filter((node) => !this.#positions.has(node.id));
    const byNamespace = new Map<string, string[]>();
    for (const node of fresh) {
      const ids = byNamespace.get(node.namespace) ?? [];
      ids.push(node.id);
      byNamespace.set(node.namespace, ids);
    }
    const namespaces = [...byNamespace.keys()].sort();
    this.#shelfWidth ??= this.#defaultShelfWidth([...byNamespace.values()].map((ids) => ids.length));
    for (const namespace of namespaces) {
      const ids = (byNamespace.get(namespace) ?? []).sort();
      const block = this.#blocks.get(namespace) ?? this.#newBlock(namespace, ids.length);
      for (const id of ids) this.#placeIn(namespace, block, id);
    }
    const result = new Map<string, Point>();
    for (const node of nodes) {
      const position = this.#positions.get(node.id);
      if (position) result.set(node.id, position);
    }
    return result;
  }

  positionOf(id: string): Point | undefined {
    return this.#positions.get(id);
  }

  /** Remembers where a person dragged a node, so it comes back there; its cell stays taken. */
  remember(id: string, position: Point): void {
    if (this.#positions.has(id)) this.#positions.set(id, { x: position.x, y: position.y });
  }

  #newBlock(namespace: string, count: number): Block {
    const shelfWidth = this.#shelfWidth ?? 1;
    const size = blockSize(count);
    const width = Math.min(shelfWidth, size.width);
    const height = size.height;
    let { column, row } = this.#shelf;
    if (column > 0 && column + width > shelfWidth) ({ column, row } = this.#nextShelf());
    // A namespace that grew past its block may have taken cells here: go below everything.
    if (!this.#isFree(column, row, width, height)) ({ column, row } = this.#nextShelf());
    const block = { column, row, width, height, next: 0 };
    for (let r = row; r < row + height; r++) {
      for (let c = column; c < column + width; c++) this.#reserve(c, r, namespace);
    }
    this.#blocks.set(namespace, block);
    this.#shelf = { column: column + width + this.#gap, row, height: Math.max(this.#shelf.height, height) };
    return block;
  }

  #nextShelf(): Cell {
    this.#shelf = { column: 0, row: this.#bottom + this.#gap, height: 0 };
    return { column: 0, row: this.#shelf.row };
  }

  #isFree(column: number, row: number, width: number, height: number): boolean {
    for (let r = row; r < row + height; r++) {
      for (let c = column; c < column + width; c++) if (this.#reserved.has(key(c, r))) return false;
    }
    return true;
  }

  #reserve(column: number, row: number, namespace: string): void {
    this.#reserved.set(key(column, row), namespace);
    this.#bottom = Math.max(this.#bottom, row + 1);
  }

  /** About 1.6 times as wide as high, like a screen, for the blocks of the first graph. */
  #defaultShelfWidth(counts: readonly number[]): number {
    const cells = counts.reduce((sum, count) => {
      const { width, height } = blockSize(count);
      return sum + (width + this.#gap) * (height + this.#gap);
    }, 0);
    return Math.max(8, Math.ceil(Math.sqrt(cells * 1.6)));
  }

  #placeIn(namespace: string, block: Block, id: string): void {
    for (let index = block.next; ; index++) {
      const row = block.row + Math.floor(index / block.width);
      const column = block.column + (index % block.width);
      const cell = key(column, row);
      const owner = this.#reserved.get(cell);
      if (this.#occupied.has(cell) || (owner !== undefined && owner !== namespace)) continue;
      if (owner === undefined) {
        this.#reserve(column, row, namespace);
        block.height = Math.max(block.height, row - block.row + 1);
      }
      this.#occupied.set(cell, id);
      this.#positions.set(id, { x: column * this.#cellWidth, y: row * this.#cellHeight });
      block.next = index + 1;
      return;
    }
  }
}

/** A block about square, with one spare row so a namespace that gains a few workloads stays inside it. */
function blockSize(count: number): { width: number; height: number } {
  const width = Math.max(2, Math.ceil(Math.sqrt(count * 1.5)));
  return { width, height: Math.ceil(count / width) + 1 };
}

function key(column: number, row: number): string {
  return `${column},${row}`;
}
