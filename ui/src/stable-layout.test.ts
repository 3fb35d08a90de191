import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StableLayout, type Placeable, type Point } from './stable-layout.js';

function mesh(namespaces: number, perNamespace: number): Placeable[] {
  return Array.from({ length: namespaces * perNamespace }, (_, i) => {
    const namespace = `ns-${i % namespaces}`;
    return { id: `${namespace}/w-${Math.floor(i / namespaces)}`, namespace };
  });
}

function assertNoOverlap(positions: Iterable<Point>, minimum: number): void {
  const seen = [...positions];
  for (let i = 0; i < seen.length; i++) {
    for (let j = i + 1; j < seen.length; j++) {
      const a = seen[i];
      const b = seen[j];
      if (!a || !b) continue;
      assert.ok(Math.hypot(a.x - b.x, a.y - b.y) >= minimum, `nodes ${i} and ${j} overlap at ${JSON.stringify(a)}`);
    }
  }
}

describe('StableLayout', () => {
  it('places every node, none on another', () => {
    const layout = new StableLayout({ cellWidth: 100, cellHeight: 80 });
    const positions = layout.place(mesh(20, 25));
    assert.equal(positions.size, 500);
    assertNoOverlap(positions.values(), 80);
  });

  it('keeps the positions of nodes it has placed', () => {
    const layout = new StableLayout();
    const first = layout.place(mesh(4, 10));
    const again = layout.place([...mesh(4, 10)].reverse());
    for (const [id, position] of first) assert.deepEqual(again.get(id), position);
  });

  it('places only new nodes, next to their namespace, without moving the others or overlapping', () => {
    const layout = new StableLayout({ cellWidth: 100, cellHeight: 80 });
    const before = layout.place(mesh(4, 10));
    const added = [
      { id: 'ns-1/new-a', namespace: 'ns-1' },
      { id: 'ns-1/new-b', namespace: 'ns-1' },
      { id: 'fresh/one', namespace: 'fresh' },
    ];
    const after = layout.place([...mesh(4, 10), ...added]);
    for (const [id, position] of before) assert.deepEqual(after.get(id), position);
    assertNoOverlap(after.values(), 80);
    // A new node of ns-1 lands within ns-1's block (its columns), not across the map.
    const ns1 = [...before].filter(([id]) => id.startsWith('ns-1/')).map(([, p]) => p.x);
    const newA = after.get('ns-1/new-a');
    assert.ok(newA && newA.x >= Math.min(...ns1) && newA.x <= Math.max(...ns1));
  });

  it('gives a node that left and came back its old place', () => {
    const layout = new StableLayout();
    const first = layout.place(mesh(2, 5));
    layout.place(mesh(2, 5).slice(1));
    const back = layout.place([...mesh(2, 5), { id: 'ns-0/late', namespace: 'ns-0' }]);
    for (const [id, position] of first) assert.deepEqual(back.get(id), position);
  });

  it('does not depend on the order nodes arrive in', () => {
    const a = new StableLayout().place(mesh(5, 7));
    const b = new StableLayout().place([...mesh(5, 7)].reverse());
    assert.deepEqual([...a].sort(), [...b].sort());
  });

  it('keeps growing namespaces apart from their neighbours', () => {
    const layout = new StableLayout({ cellWidth: 100, cellHeight: 100, shelfWidth: 10 });
    layout.place(mesh(3, 4));
    // ns-0 quadruples: it overflows its block downwards, never into ns-1's cells.
    const grown = Array.from({ length: 12 }, (_, i) => ({ id: `ns-0/more-${i}`, namespace: 'ns-0' }));
    const positions = layout.place([...mesh(3, 4), ...grown]);
    assertNoOverlap(positions.values(), 100);
    const ns1Columns = new Set([...positions].filter(([id]) => id.startsWith('ns-1/')).map(([, p]) => p.x));
    for (const { id } of grown) assert.ok(!ns1Columns.has(positions.get(id)?.x ?? -1), `${id} is in ns-1's columns`);
  });

  it('remembers where a node was dragged', () => {
    const layout = new StableLayout();
    layout.place([{ id: 'a/x', namespace: 'a' }]);
    layout.remember('a/x', { x: 12, y: 34 });
    assert.deepEqual(layout.place([{ id: 'a/x', namespace: 'a' }]).get('a/x'), { x: 12, y: 34 });
  });

  it('scales linearly: four times the nodes cost about four times as much (placing a namespace’s nodes was quadratic; absolute figures are in make bench)', () => {
    /** The fastest of 5 runs: the least disturbed by anything else on the machine. */
    const cost = (nodes: Placeable[]): number => {
      let best = Infinity;
      for (let run = 0; run < 5; run++) {
        const started = process.hrtime.bigint();
        new StableLayout().place(nodes);
        best = Math.min(best, Number(process.hrtime.bigint() - started));
      }
      return best;
    };
    const small = mesh(50, 50);
    const large = mesh(50, 200);
    cost(small); // both sizes compiled and warm before anything is compared
    cost(large);
    // The smallest of three interleaved ratios: noise on a shared machine only ever inflates one.
    const ratio = Math.min(...[0, 1, 2].map(() => cost(large) / cost(small)));
    assert.ok(ratio < 10, `4× the nodes cost ${ratio.toFixed(1)}× as much (linear is 4×, quadratic 16×)`);
  });
});
