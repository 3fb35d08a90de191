// Tier 3 (e2e), suite "upgrade": `helm upgrade` with changed values while enrolled pods
// talk — the control plane rolls over to its new settings, the agents take them from the
// stream without restarting, and no request between enrolled pods fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, podsOf } from '../testbed/testbed-client.js';
import { chartPath, helm, testbedValues } from '../testbed/weft-chart.js';
import { agentState, deployShop, nextTotals, pod, startMeshTestbed, type Kubectl } from './mesh-testbed.js';

const nodes = ['node1', 'node2'];

describe('helm upgrade during traffic (e2e, suite "upgrade")', () => {
  let kubectl: Kubectl;
  let stop = (): Promise<void> => Promise.resolve();
  let enrolledUids: string[] = [];

  before(async () => {
    ({ kubectl, stop } = await startMeshTestbed());
    const pods = await deployShop(kubectl, { enrolled: true });
    enrolledUids = [...pods.client, ...pods.servers].map((p) => p.metadata.uid);
  });

  after(() => stop());

  const uidsOf = (selector: string): string[] => podsOf(kubectl, 'weft-system', selector).map((p) => p.metadata.uid).sort();
  const loner = (): ReturnType<typeof pod> => pod(kubectl, 'shop', 'loner');

  it('rolls the control plane to STRICT mode and new settings: the agents apply them without a restart, and no enrolled request fails', async () => {
    const client = pod(kubectl, 'shop', 'client');
    const agents = uidsOf('app.kubernetes.io/name=weft-agent');
    const controlBefore = uidsOf('app.kubernetes.io/name=weft-control');
    const outsider = await nextTotals(loner());
    assert.ok(outsider.ok > 0, 'in PERMISSIVE mode the pod outside the mesh reaches the servers');
    const before = await nextTotals(client);

    helm(['upgrade', 'weft', chartPath, '--namespace', 'weft-system', '--wait', '--timeout', '120s', ...testbedValues(), '--set', 'mtls.mode=STRICT', '--set', 'control.logLevel=debug']);
    await eventually('every enrolled pod to be STRICT on its agent', async () => {
      const states = await Promise.all(nodes.map(agentState));
      const strict = new Set(states.flatMap((s) => s.enrolled.filter((w) => w.strict).map((w) => w.uid)));
      return enrolledUids.every((uid) => strict.has(uid));
    }, 30_000);
    await sleep(2000);
    const after = await nextTotals(client);

    assert.notDeepEqual(uidsOf('app.kubernetes.io/name=weft-control'), controlBefore, 'the control plane was replaced');
    assert.deepEqual(uidsOf('app.kubernetes.io/name=weft-agent'), agents, 'the agents were not');
    assert.ok(after.ok - before.ok > 20, `the client went on (${after.ok - before.ok} answered)`);
    assert.equal(after.failed - before.failed, 0, `zero failed requests between enrolled pods (${JSON.stringify(after.errors)})`);
    // The new mode is on the data path: plaintext from outside the mesh is refused now.
    const refusedBefore = await nextTotals(loner());
    const refusedAfter = await nextTotals(loner());
    assert.ok(refusedAfter.failed > refusedBefore.failed && refusedAfter.ok === refusedBefore.ok, `STRICT refuses the pod outside the mesh (${JSON.stringify(refusedAfter)})`);
  });

  it('helm rollback returns to the previous values, again without a failed enrolled request', async () => {
    const client = pod(kubectl, 'shop', 'client');
    const before = await nextTotals(client);
    helm(['rollback', 'weft', '1', '--namespace', 'weft-system', '--wait', '--timeout', '120s']);
    await eventually('the pod outside the mesh to be served again (PERMISSIVE)', async () => {
      const first = await nextTotals(loner());
      const second = await nextTotals(loner());
      return second.ok > first.ok;
    }, 30_000);
    const after = await nextTotals(client);
    assert.equal(after.failed - before.failed, 0, `zero failed requests between enrolled pods (${JSON.stringify(after.errors)})`);
  });
});
