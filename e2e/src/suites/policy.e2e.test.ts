// Tier 3 (e2e), suite "policy": Weft's AuthorizationPolicy applied with kubectl on the
// testbed, enforced by the real agents on the data path between enrolled pods.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, podsOf, type Pod } from '../testbed/testbed-client.js';
import { agentMetrics, deployShop, nextTotals, pod, sample, startMeshTestbed, type Kubectl } from './mesh-testbed.js';

const nodes = ['node1', 'node2'];
const clientId = 'spiffe://cluster.local/ns/shop/sa/client';

function policy(name: string, action: 'ALLOW' | 'DENY', rules: unknown[]): string {
  return JSON.stringify({
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'server' } }, action, rules },
  });
}

async function denials(): Promise<number> {
  let total = 0;
  for (const node of nodes) total += sample(await agentMetrics(node), 'weft_authorization_denials_total', { direction: 'inbound' });
  return total;
}

/** Waits until a load client's requests fail (or pass) for a whole second. */
async function enforcedFor(client: Pod, expect: 'failing' | 'passing'): Promise<void> {
  await eventually(`${client.metadata.name}'s requests to be ${expect}`, async () => {
    const before = await nextTotals(client);
    const after = await nextTotals(client);
    const failed = after.failed - before.failed;
    const ok = after.ok - before.ok;
    return expect === 'failing' ? ok === 0 && failed > 0 : failed === 0 && ok > 0;
  }, 20_000);
}

/** Runs `change`, then waits until the client's requests fail (or pass) for a whole second; returns how long enforcement took. */
async function enforced(kubectl: Kubectl, change: () => void, expect: 'failing' | 'passing'): Promise<number> {
  const client = pod(kubectl, 'shop', 'client');
  const start = performance.now();
  change();
  let took = 0;
  await eventually(`the client's requests to be ${expect}`, async () => {
    const before = await nextTotals(client);
    const after = await nextTotals(client);
    took ||= performance.now() - start;
    const failed = after.failed - before.failed;
    const ok = after.ok - before.ok;
    return expect === 'failing' ? ok === 0 && failed > 0 : failed === 0 && ok > 0;
  }, 20_000);
  return took;
}

describe('authorization policies (e2e, suite "policy")', () => {
  let kubectl: Kubectl;
  let stop = (): Promise<void> => Promise.resolve();

  before(async () => {
    ({ kubectl, stop } = await startMeshTestbed());
    await deployShop(kubectl, { enrolled: true });
  });

  after(() => stop());

  it('a DENY policy applied with kubectl stops the client at once, counted as denials; deleting it lets it through again', async () => {
    const denied = await denials();
    const start = performance.now();
    kubectl(['apply', '-f', '-'], policy('deny-client', 'DENY', [{ from: { identities: [clientId] } }]));
    await eventually('the agents to count a denial', async () => (await denials()) > denied);
    process.stdout.write(`# kubectl apply of a DENY policy → first connection denied: ${(performance.now() - start).toFixed(0)} ms (kubectl included, polled every 250 ms)\n`);
    await enforced(kubectl, () => undefined, 'failing');
    const metrics = (await Promise.all(nodes.map(agentMetrics))).join('\n');
    assert.ok(sample(metrics, 'weft_authorization_denials_total', { reason: 'denied-by-policy' }) > 0, 'with the reason');
    await enforced(kubectl, () => kubectl(['delete', 'authorizationpolicy', 'deny-client', '-n', 'shop']), 'passing');
  });

  it('an ALLOW policy admits only the identities it names', async () => {
    await enforced(kubectl, () => kubectl(['apply', '-f', '-'], policy('allow-only', 'ALLOW', [{ from: { identities: ['spiffe://cluster.local/ns/shop/sa/nobody'] } }])), 'failing');
    const metrics = (await Promise.all(nodes.map(agentMetrics))).join('\n');
    assert.ok(sample(metrics, 'weft_authorization_denials_total', { reason: 'no-allow-policy-matched' }) > 0);
    await enforced(kubectl, () => kubectl(['apply', '-f', '-'], policy('allow-only', 'ALLOW', [{ from: { identities: [clientId] }, to: { ports: [8080] } }])), 'passing');
    kubectl(['delete', 'authorizationpolicy', 'allow-only', '-n', 'shop']);
  });

  it('a DENY by identity does not catch plaintext from outside the mesh (it proves no identity) in PERMISSIVE; STRICT keeps it out (docs/policy.md)', async () => {
    // The loner runs outside the mesh (weft.dev/mesh=disabled) as ServiceAccount default:
    // denying that identity names it, but its plaintext connections carry no identity.
    const loner = pod(kubectl, 'shop', 'loner');
    kubectl(['apply', '-f', '-'], policy('deny-default', 'DENY', [{ from: { identities: ['spiffe://cluster.local/ns/shop/sa/default'] } }]));
    await eventually('the policy to be accepted', () => /True/.test(kubectl(['get', 'authorizationpolicy', 'deny-default', '-n', 'shop', '-o', 'jsonpath={.status.conditions[0].status}'])));
    await sleep(1000);
    const first = await nextTotals(loner);
    const second = await nextTotals(loner);
    assert.ok(second.ok > first.ok && second.failed === first.failed, `PERMISSIVE: the plaintext client is not denied by identity (${JSON.stringify(second)})`);
    kubectl(['label', 'namespace', 'shop', 'weft.dev/mtls-mode=STRICT']);
    try {
      await enforcedFor(loner, 'failing');
      const metrics = (await Promise.all(nodes.map(agentMetrics))).join('\n');
      assert.ok(sample(metrics, 'weft_authorization_denials_total', { reason: 'strict-plaintext' }) > 0, 'STRICT: refused as plaintext');
    } finally {
      kubectl(['label', 'namespace', 'shop', 'weft.dev/mtls-mode-']);
      kubectl(['delete', 'authorizationpolicy', 'deny-default', '-n', 'shop']);
    }
    await enforcedFor(loner, 'passing');
  });

  it('marks an accepted policy in its status, and a malformed one with the reason, without crashing anything', async () => {
    kubectl(['apply', '-f', '-'], policy('fine', 'ALLOW', [{ from: { namespaces: ['shop'] } }]));
    kubectl(['apply', '-f', '-'], policy('typo', 'DENY', [{ from: { identities: ['spiffe:/cluster.local/ns/shop/sa/client'] } }]));
    const condition = (name: string): { status: string; reason: string; message: string } | undefined => {
      const object = JSON.parse(kubectl(['get', 'authorizationpolicy', name, '-n', 'shop', '-o', 'json'])) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
      return object.status?.conditions?.find((c) => c.type === 'Accepted');
    };
    const fine = await eventually('the status of the good policy', () => condition('fine'));
    assert.equal(fine.status, 'True');
    const typo = await eventually('the status of the malformed policy', () => condition('typo'));
    assert.equal(typo.status, 'False');
    assert.equal(typo.reason, 'InvalidIdentity');
    assert.match(typo.message, /spec\.rules\[0\]\.from\.identities\[0\]: "spiffe:\/cluster\.local\/ns\/shop\/sa\/client" is not a SPIFFE ID/);
    // It fails closed: the broken DENY rule denies everyone the policy selects.
    await enforced(kubectl, () => undefined, 'failing');
    await enforced(kubectl, () => kubectl(['delete', 'authorizationpolicy', 'typo', 'fine', '-n', 'shop']), 'passing');

    // What the schema can say is refused by the API server itself, with its message.
    assert.throws(
      () => kubectl(['apply', '-f', '-'], policy('bad-port', 'ALLOW', [{ to: { ports: [70000] } }])),
      (error: { stderr?: string }) => /spec\.rules\[0\]\.to\.ports\[0\]: Invalid value: 70000: spec\.rules\[0\]\.to\.ports\[0\] in body should be less than or equal to 65535/.test(error.stderr ?? ''),
    );
    assert.throws(
      () => kubectl(['apply', '-f', '-'], policy('bad-action', 'ALLOW', []).replace('"ALLOW"', '"MAYBE"')),
      (error: { stderr?: string }) => /Unsupported value: "MAYBE"/.test(error.stderr ?? ''),
    );
    const control = podsOf(kubectl, 'weft-system', 'app.kubernetes.io/name=weft-control')[0];
    assert.ok(control && !JSON.stringify(control.status).includes('"restartCount":1'), 'the control plane never restarted');
  });
});
