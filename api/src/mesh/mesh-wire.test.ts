// Unit tier: the mesh stream's resources survive the trip to the wire and back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Workload } from './mesh-types.js';
import { resourceFromWire, resourceToWire } from './mesh-wire.js';

const pod: Workload = { uid: 'u1', name: 'cart-7d9f8-x2x4q', namespace: 'shop', serviceAccount: 'cart', node: 'node-a', ips: ['10.0.0.1'], labels: { app: 'cart' }, enrolled: true, mode: 'STRICT' };

describe('mesh wire: workloads', () => {
  it('keeps the workload a pod belongs to', () => {
    const owned: Workload = { ...pod, workload: 'cart' };
    const wire = resourceToWire({ kind: 'workload', workload: owned });
    assert.equal(wire.workload?.workload, 'cart');
    assert.deepEqual(resourceFromWire(wire), { kind: 'workload', workload: owned });
  });

  it('leaves the workload unset for a pod nothing owns ("" on the wire)', () => {
    const wire = resourceToWire({ kind: 'workload', workload: pod });
    assert.equal(wire.workload?.workload, '');
    // Strict deepEqual: an empty `workload` key would differ.
    assert.deepEqual(resourceFromWire(wire), { kind: 'workload', workload: pod });
  });
});
