/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are data classes written as literals, as in control/src/kube (eslint.config.js) */
// Unit tier: the AuthorizationPolicy CRD as the API server stores it (any field may be
// missing or of the wrong type) becomes the policy the agents enforce, failing closed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedCondition, policyFromK8s, type AuthorizationPolicyObject, type PolicyProblem, type StoredCondition, type TranslatedPolicy } from './policy-translate.js';

const cart = 'spiffe://cluster.local/ns/shop/sa/cart';

function object(spec: unknown, metadata: AuthorizationPolicyObject['metadata'] = { name: 'cart-in', namespace: 'shop', generation: 3 }): AuthorizationPolicyObject {
  return { apiVersion: 'policy.weft.dev/v1alpha1', kind: 'AuthorizationPolicy', metadata, spec };
}

function translate(spec: unknown): TranslatedPolicy {
  const translated = policyFromK8s(object(spec));
  assert.ok(translated, 'a named policy always translates');
  return translated;
}

const reasons = (problems: PolicyProblem[]): string[][] => problems.map((p) => [p.reason, p.path]);

describe('policyFromK8s', () => {
  it('translates a valid ALLOW policy exactly, with no problems', () => {
    const translated = translate({
      selector: { matchLabels: { app: 'cart', 'app.kubernetes.io/part-of': 'shop' } },
      action: 'ALLOW',
      rules: [{ from: { identities: [cart, 'spiffe://cluster.local/ns/front/*'], namespaces: ['front'] }, to: { ports: [8080, 9090] } }, { from: { namespaces: ['ops'] } }, {}],
    });
    assert.deepEqual(translated, {
      policy: {
        name: 'cart-in',
        namespace: 'shop',
        selector: { app: 'cart', 'app.kubernetes.io/part-of': 'shop' },
        action: 'ALLOW',
        rules: [{ fromIdentities: [cart, 'spiffe://cluster.local/ns/front/*'], fromNamespaces: ['front'], toPorts: [8080, 9090] }, { fromNamespaces: ['ops'] }, {}],
      },
      problems: [],
    });
  });

  it('translates a valid DENY policy exactly, with no selector meaning the whole namespace', () => {
    const translated = translate({ action: 'DENY', rules: [{ to: { ports: [22] } }] });
    assert.deepEqual(translated, { policy: { name: 'cart-in', namespace: 'shop', action: 'DENY', rules: [{ toPorts: [22] }] }, problems: [] });
  });

  it('keeps an empty list as written (anyone for that field) and leaves out an empty selector', () => {
    const translated = translate({ selector: { matchLabels: {} }, action: 'ALLOW', rules: [{ from: { identities: [] }, to: { ports: [] } }] });
    assert.deepEqual(translated.policy, { name: 'cart-in', namespace: 'shop', action: 'ALLOW', rules: [{ fromIdentities: [], toPorts: [] }] });
    assert.deepEqual(translated.problems, []);
  });

  it('keeps no rules as no rules (ALLOW: nothing allowed; DENY: nothing denied)', () => {
    assert.deepEqual(translate({ action: 'ALLOW' }).policy.rules, []);
    assert.deepEqual(translate({ action: 'DENY', rules: [] }).policy.rules, []);
  });

  it('is nothing for an object without a name or namespace', () => {
    assert.equal(policyFromK8s(object({ action: 'ALLOW' }, { name: 'x' })), undefined);
    assert.equal(policyFromK8s(object({ action: 'ALLOW' }, { namespace: 'shop' })), undefined);
  });

  describe('problems', () => {
    it('names a bad identity with InvalidIdentity and its index', () => {
      const { problems } = translate({ action: 'ALLOW', rules: [{ from: { identities: [cart, 'cart', 7] } }] });
      assert.deepEqual(reasons(problems), [
        ['InvalidIdentity', 'spec.rules[0].from.identities[1]'],
        ['InvalidIdentity', 'spec.rules[0].from.identities[2]'],
      ]);
      assert.match(problems[0]?.message ?? '', /^"cart" is not a SPIFFE ID/);
    });

    it('names a bad namespace with InvalidNamespace', () => {
      const { problems } = translate({ action: 'ALLOW', rules: [{}, { from: { namespaces: ['Front_End'] } }] });
      assert.deepEqual(reasons(problems), [['InvalidNamespace', 'spec.rules[1].from.namespaces[0]']]);
      assert.equal(problems[0]?.message, '"Front_End" is not a namespace name');
    });

    it('names a bad port with InvalidPort, for 0, 65536, fractions and strings', () => {
      const { problems } = translate({ action: 'ALLOW', rules: [{ to: { ports: [0, 80, 65536, 80.5, '443'] } }] });
      assert.deepEqual(reasons(problems), [
        ['InvalidPort', 'spec.rules[0].to.ports[0]'],
        ['InvalidPort', 'spec.rules[0].to.ports[2]'],
        ['InvalidPort', 'spec.rules[0].to.ports[3]'],
        ['InvalidPort', 'spec.rules[0].to.ports[4]'],
      ]);
      assert.equal(problems[3]?.message, '"443" is not a port (1-65535)');
    });

    it('names a list that is not a list', () => {
      const { problems } = translate({ action: 'ALLOW', rules: [{ from: { identities: cart, namespaces: 'front' }, to: { ports: 80 } }] });
      assert.deepEqual(
        problems.map((p) => [p.reason, p.path, p.message]),
        [
          ['InvalidIdentity', 'spec.rules[0].from.identities', 'must be a list'],
          ['InvalidNamespace', 'spec.rules[0].from.namespaces', 'must be a list'],
          ['InvalidPort', 'spec.rules[0].to.ports', 'must be a list'],
        ],
      );
    });

    it('names a bad selector with InvalidSelector: its shape, a key or a value', () => {
      assert.deepEqual(reasons(translate({ action: 'ALLOW', selector: { app: 'cart' } }).problems), [['InvalidSelector', 'spec.selector']]);
      assert.deepEqual(reasons(translate({ action: 'ALLOW', selector: { matchLabels: ['app'] } }).problems), [['InvalidSelector', 'spec.selector']]);
      assert.deepEqual(reasons(translate({ action: 'ALLOW', selector: 'app=cart' }).problems), [['InvalidSelector', 'spec.selector']]);
      const labels = translate({ action: 'ALLOW', selector: { matchLabels: { app: 'cart', 'Bad Key': 'x', tier: 'not valid!', track: 3 } } });
      assert.deepEqual(reasons(labels.problems), [
        ['InvalidSelector', 'spec.selector.matchLabels["Bad Key"]'],
        ['InvalidSelector', 'spec.selector.matchLabels["tier"]'],
        ['InvalidSelector', 'spec.selector.matchLabels["track"]'],
      ]);
      assert.deepEqual(labels.policy.selector, { app: 'cart' }, 'the readable labels are kept');
    });

    it('names a rule that is not an object, and from/to that are not objects', () => {
      const { problems } = translate({ action: 'ALLOW', rules: ['all', { from: 'front', to: [80] }] });
      assert.deepEqual(reasons(problems), [
        ['InvalidRule', 'spec.rules[0]'],
        ['InvalidRule', 'spec.rules[1].from'],
        ['InvalidRule', 'spec.rules[1].to'],
      ]);
    });
  });

  describe('failing closed', () => {
    it('drops a broken rule from an ALLOW policy, so it allows nothing', () => {
      const { policy, problems } = translate({ action: 'ALLOW', rules: [{ from: { identities: ['cart'] } }, { from: { namespaces: ['front'] } }, 'x'] });
      assert.deepEqual(policy.rules, [{ fromNamespaces: ['front'] }]);
      assert.equal(problems.length, 2);
    });

    it('drops a whole rule when only one of its entries is broken, never keeping the rest of it', () => {
      const { policy } = translate({ action: 'ALLOW', rules: [{ from: { identities: [cart, 'cart'] }, to: { ports: [8080] } }] });
      assert.deepEqual(policy.rules, [], 'a partial rule would allow more than what was written');
    });

    it('turns a broken rule of a DENY policy into {}, so it denies everything', () => {
      const { policy } = translate({ action: 'DENY', rules: [{ to: { ports: [22] } }, { from: { identities: ['cart'] }, to: { ports: [8080] } }] });
      assert.deepEqual(policy.rules, [{ toPorts: [22] }, {}]);
    });

    it('enforces a policy with an unreadable action as DENY with one empty rule', () => {
      for (const action of ['allow', 'AUDIT', undefined, 1]) {
        const { policy, problems } = translate({ action, selector: { matchLabels: { app: 'cart' } }, rules: [{ from: { namespaces: ['front'] } }] });
        assert.deepEqual(policy, { name: 'cart-in', namespace: 'shop', selector: { app: 'cart' }, action: 'DENY', rules: [{}] }, String(action));
        assert.deepEqual(reasons(problems), [['InvalidAction', 'spec.action']]);
      }
    });

    it('enforces a policy without a spec as DENY of its whole namespace', () => {
      for (const spec of [undefined, 'ALLOW', ['ALLOW']]) {
        const { policy, problems } = translate(spec);
        assert.deepEqual(policy, { name: 'cart-in', namespace: 'shop', action: 'DENY', rules: [{}] });
        assert.deepEqual(reasons(problems), [
          ['InvalidSpec', 'spec'],
          ['InvalidAction', 'spec.action'],
        ]);
      }
    });

    it('applies a policy whose selector is unreadable to the whole namespace', () => {
      const { policy } = translate({ action: 'ALLOW', selector: { app: 'cart' }, rules: [{ from: { namespaces: ['front'] } }] });
      assert.equal(Object.hasOwn(policy, 'selector'), false, 'selecting more workloads restricts more');
    });

    it('allows nothing for an ALLOW policy whose rules are not a list', () => {
      const { policy, problems } = translate({ action: 'ALLOW', rules: { from: { namespaces: ['front'] } } });
      assert.deepEqual(policy.rules, []);
      assert.deepEqual(reasons(problems), [['InvalidRule', 'spec.rules']]);
    });

    it('denies everything for a DENY policy whose rules are not a list', () => {
      // A DENY written with `rules:` as an object (a missing "-" in YAML) fails closed.
      const { policy } = translate({ action: 'DENY', rules: { from: { namespaces: ['front'] } } });
      assert.deepEqual(policy.rules, [{}]);
    });
  });
});

describe('acceptedCondition', () => {
  const now = new Date('2025-03-01T12:00:00Z');
  const earlier = '2025-02-01T08:00:00.000Z';
  const clean = translate({ action: 'ALLOW', rules: [] });
  const broken = translate({ action: 'ALLOW', rules: [{ from: { identities: ['cart'] } }, { to: { ports: [0] } }] });

  it('is True/Accepted for a policy with no problems, at the generation it read', () => {
    assert.deepEqual(acceptedCondition(clean, 3, undefined, now), {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'the policy is enforced as written',
      observedGeneration: 3,
      lastTransitionTime: now.toISOString(),
    });
  });

  it('is False with the first reason and every problem in the message', () => {
    const condition = acceptedCondition(broken, 7, undefined, now);
    assert.equal(condition.status, 'False');
    assert.equal(condition.reason, 'InvalidIdentity');
    assert.equal(condition.observedGeneration, 7);
    assert.match(condition.message, /^spec\.rules\[0\]\.from\.identities\[0\]: "cart" is not a SPIFFE ID.*; spec\.rules\[1\]\.to\.ports\[0\]: 0 is not a port \(1-65535\); enforced failing closed/);
  });

  it('keeps lastTransitionTime while the status stays the same, message and generation changing', () => {
    const previous: StoredCondition = { type: 'Accepted', status: 'False', reason: 'InvalidPort', message: 'old', observedGeneration: 6, lastTransitionTime: earlier };
    const condition = acceptedCondition(broken, 7, previous, now);
    assert.equal(condition.lastTransitionTime, earlier);
    assert.equal(condition.reason, 'InvalidIdentity');
    assert.equal(condition.observedGeneration, 7);
    const stillTrue = acceptedCondition(clean, 4, { type: 'Accepted', status: 'True', lastTransitionTime: earlier }, now);
    assert.equal(stillTrue.lastTransitionTime, earlier);
  });

  it('takes a new lastTransitionTime when the status flips, or the old one has none', () => {
    assert.equal(acceptedCondition(clean, 8, { type: 'Accepted', status: 'False', lastTransitionTime: earlier }, now).lastTransitionTime, now.toISOString());
    assert.equal(acceptedCondition(broken, 8, { type: 'Accepted', status: 'True', lastTransitionTime: earlier }, now).lastTransitionTime, now.toISOString());
    assert.equal(acceptedCondition(clean, 8, { type: 'Accepted', status: 'True' }, now).lastTransitionTime, now.toISOString());
  });
});
