import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { edgeUpdate } from './edge-update.js';
import type { EdgeElement } from './graph-elements.js';

const edge: EdgeElement = { id: 'a/x->a/y', source: 'a/x', target: 'a/y', label: '10 req/s', health: 'healthy', mtls: true, width: 2.5 };

describe('edgeUpdate', () => {
  it('writes nothing when only the label changed and labels are not shown, and remembers it', () => {
    assert.deepEqual(edgeUpdate(edge, { ...edge, label: '11 req/s' }, false), { data: null, labelStale: true });
  });

  it('writes the label when labels are shown', () => {
    assert.deepEqual(edgeUpdate(edge, { ...edge, label: '11 req/s' }, true), { data: { label: '11 req/s' }, labelStale: false });
  });

  it('always writes what is visible in the overview: colour, width, lock', () => {
    assert.deepEqual(edgeUpdate(edge, { ...edge, health: 'failing', width: 3.5, mtls: false, label: 'x' }, false), {
      data: { health: 'failing', mtls: false, width: 3.5 },
      labelStale: true,
    });
  });

  it('writes nothing for an unchanged edge', () => {
    assert.deepEqual(edgeUpdate(edge, { ...edge }, true), { data: null, labelStale: false });
  });
});
