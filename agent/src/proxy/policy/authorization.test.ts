import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationPolicy, PolicyRule, Workload } from '../../state/index.js';
import { authorize, type AuthorizationSource } from './authorization.js';

const destination: Workload = {
  uid: 'cart-0',
  name: 'cart-0',
  namespace: 'shop',
  serviceAccount: 'cart',
  node: 'node-a',
  ips: ['10.0.0.1'],
  labels: { app: 'cart' },
  enrolled: true,
};

const frontend = 'spiffe://cluster.local/ns/shop/sa/frontend';
const batch = 'spiffe://cluster.local/ns/jobs/sa/batch';

function policy(name: string, action: 'ALLOW' | 'DENY', rules: PolicyRule[]): AuthorizationPolicy {
  return { name, namespace: 'shop', action, rules };
}

function decide(source: AuthorizationSource, policies: AuthorizationPolicy[], port = 8080): ReturnType<typeof authorize> {
  return authorize({ source, destination, port }, policies);
}

describe('authorize', () => {
  it('allows by default when no policy applies, or only DENY ones that do not match', () => {
    assert.deepEqual(decide({ identity: frontend }, []), { allowed: true, reason: 'allowed-default' });
    assert.deepEqual(decide({}, [policy('no-batch', 'DENY', [{ fromIdentities: [batch] }])]), { allowed: true, reason: 'allowed-default' });
  });

  it('denies on a matching DENY policy, ahead of any ALLOW', () => {
    const policies = [policy('all', 'ALLOW', [{}]), policy('no-jobs', 'DENY', [{ fromNamespaces: ['jobs'] }])];
    assert.deepEqual(decide({ identity: batch }, policies), { allowed: false, reason: 'denied-by-policy', policy: 'shop/no-jobs' });
    assert.deepEqual(decide({ identity: frontend }, policies), { allowed: true, reason: 'allowed-by-policy', policy: 'shop/all' });
  });

  it('needs one matching ALLOW policy once any applies', () => {
    const policies = [policy('from-frontend', 'ALLOW', [{ fromIdentities: [frontend] }]), policy('admin-port', 'ALLOW', [{ toPorts: [9090] }])];
    assert.deepEqual(decide({ identity: frontend }, policies), { allowed: true, reason: 'allowed-by-policy', policy: 'shop/from-frontend' });
    assert.deepEqual(decide({ identity: batch }, policies, 9090), { allowed: true, reason: 'allowed-by-policy', policy: 'shop/admin-port' });
    assert.deepEqual(decide({ identity: batch }, policies), { allowed: false, reason: 'no-allow-policy-matched' });
  });

  it('matches a rule only when every non-empty field matches; any rule of a policy will do', () => {
    const rule: PolicyRule = { fromIdentities: ['spiffe://cluster.local/ns/shop/*'], fromNamespaces: ['shop'], toPorts: [8080] };
    const policies = [policy('p', 'ALLOW', [rule, { fromIdentities: [batch], toPorts: [9000] }])];
    assert.equal(decide({ identity: frontend }, policies).allowed, true);
    assert.equal(decide({ identity: frontend }, policies, 8081).allowed, false, 'port');
    assert.equal(decide({ identity: 'spiffe://cluster.local/ns/shopping/sa/x' }, policies).allowed, false, 'namespace');
    assert.equal(decide({ identity: batch }, policies, 9000).allowed, true, 'second rule');
    assert.equal(decide({ identity: batch }, policies).allowed, false);
    const empty = [policy('anyone', 'ALLOW', [{ fromIdentities: [], fromNamespaces: [], toPorts: [] }])];
    assert.equal(decide({}, empty).allowed, true, 'empty fields match anyone, plaintext included');
  });

  it('matches identities exactly, or by prefix when the pattern ends in "*"', () => {
    const exact = [policy('exact', 'ALLOW', [{ fromIdentities: [frontend] }])];
    assert.equal(decide({ identity: `${frontend}-v2` }, exact).allowed, false);
    const prefix = [policy('prefix', 'ALLOW', [{ fromIdentities: ['spiffe://cluster.local/ns/shop/sa/front*'] }])];
    assert.equal(decide({ identity: `${frontend}-v2` }, prefix).allowed, true);
    assert.equal(decide({ identity: batch }, prefix).allowed, false);
  });

  it('takes the namespace from the identity unless the caller gives it', () => {
    const fromShop = [policy('shop-only', 'ALLOW', [{ fromNamespaces: ['shop'] }])];
    assert.equal(decide({ identity: frontend }, fromShop).allowed, true);
    assert.equal(decide({ identity: batch, namespace: 'shop' }, fromShop).allowed, true);
    assert.equal(decide({ identity: 'spiffe://other.domain/workload-7' }, fromShop).allowed, false, 'no namespace in the identity');
  });

  it('never lets a plaintext source match a rule about identities or namespaces', () => {
    const allow = [policy('shop-only', 'ALLOW', [{ fromNamespaces: ['shop'] }])];
    assert.deepEqual(decide({ namespace: 'shop' }, allow), { allowed: false, reason: 'no-allow-policy-matched' });
    const deny = [policy('no-frontend', 'DENY', [{ fromIdentities: ['spiffe://*'] }])];
    assert.deepEqual(decide({}, deny), { allowed: true, reason: 'allowed-default' }, 'a DENY by identity does not catch plaintext either');
    const denyPort = [policy('no-8080', 'DENY', [{ toPorts: [8080] }])];
    assert.deepEqual(decide({}, denyPort), { allowed: false, reason: 'denied-by-policy', policy: 'shop/no-8080' });
  });

  it('denies everyone with an ALLOW policy that has no rules', () => {
    assert.deepEqual(decide({ identity: frontend }, [policy('nobody', 'ALLOW', [])]), { allowed: false, reason: 'no-allow-policy-matched' });
    assert.deepEqual(decide({ identity: frontend }, [policy('nothing', 'DENY', [])]), { allowed: true, reason: 'allowed-default' });
  });
});
