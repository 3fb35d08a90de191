import type { TrafficGraph } from '@weft/api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphFeed } from './graph-feed.js';

const at = (t: number): TrafficGraph => ({ at: t, windowSeconds: 60, namespaces: [], nodes: [], edges: [] });

describe('GraphFeed', () => {
  it('applies graphs in time order and counts them', () => {
    const feed = new GraphFeed();
    const seen: number[] = [];
    feed.subscribe((graph) => seen.push(graph.at));
    assert.ok(feed.offer(at(2)));
    assert.ok(!feed.offer(at(1)), 'an older snapshot must not undo a newer live update');
    assert.ok(feed.offer(at(3)));
    assert.deepEqual(seen, [2, 3]);
    assert.equal(feed.renders, 2);
    assert.equal(feed.last?.at, 3);
  });

  it('takes any graph after the scope changed', () => {
    const feed = new GraphFeed();
    feed.offer(at(5));
    feed.restart();
    assert.equal(feed.last?.at, 5, 'the last graph stays readable meanwhile');
    assert.ok(feed.offer(at(4)));
  });

  it('stops telling a listener that unsubscribed', () => {
    const feed = new GraphFeed();
    let calls = 0;
    const unsubscribe = feed.subscribe(() => calls++);
    feed.offer(at(1));
    unsubscribe();
    feed.offer(at(2));
    assert.equal(calls, 1);
  });
});
