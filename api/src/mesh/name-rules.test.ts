import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsLabel, dnsSubdomain, labelKey, labelValue, portName, serviceName, spiffeIdPattern, trustDomain } from './name-rules.js';

describe('name rules', () => {
  it('follow Kubernetes', () => {
    assert.ok(dnsLabel.test('shop-1') && !dnsLabel.test('Shop') && !dnsLabel.test('-shop') && !dnsLabel.test('a'.repeat(64)));
    assert.ok(dnsSubdomain.test('cart-0.v2') && !dnsSubdomain.test('cart..0') && !dnsSubdomain.test('cart_0'));
    assert.ok(serviceName.test('cart') && !serviceName.test('1cart'));
    assert.ok(portName.test('http-alt') && !portName.test('8080') && !portName.test('http--alt') && !portName.test('a-very-long-port-name'));
    assert.ok(labelKey.test('app') && labelKey.test('app.kubernetes.io/name') && !labelKey.test('/name') && !labelKey.test('Bad.Prefix/x'));
    assert.ok(labelValue.test('') && labelValue.test('v1.2_3') && !labelValue.test('-v1') && !labelValue.test('a b'));
    assert.ok(trustDomain.test('cluster.local') && !trustDomain.test('Cluster.local') && !trustDomain.test(''));
  });

  it('accept SPIFFE IDs and prefixes of them ending in "*"', () => {
    for (const text of [
      'spiffe://cluster.local/ns/shop/sa/cart',
      'spiffe://cluster.local',
      'spiffe://cluster.local/ns/shop/*',
      'spiffe://cluster.local/ns/sh*',
      'spiffe://cluster.local/*',
      'spiffe://cluster.*',
      'spiffe://*',
    ]) {
      assert.ok(spiffeIdPattern.test(text), text);
    }
    for (const text of [
      'cluster.local/ns/shop/sa/cart',
      'spiffe://Cluster.local/ns/shop',
      'spiffe://cluster.local/ns//sa/cart',
      'spiffe://cluster.local/ns/shop/',
      'spiffe://cluster.local/ns/../sa/x',
      'spiffe://cluster.local/*/sa/cart',
      'spiffe://cluster.local/ns/shop/**',
      '*',
    ]) {
      assert.ok(!spiffeIdPattern.test(text), text);
    }
  });
});
