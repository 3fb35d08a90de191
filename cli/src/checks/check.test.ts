import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertGolden } from '../golden.js';
import { renderResult, renderSummary, runChecks, type Check, type CheckResult } from './check.js';
import { installChecks } from './install-checks.js';
import { preChecks } from './pre-checks.js';
import { atLeast, versionPair } from './kube-reads.js';

const environment = {
  cluster: () => {
    throw new Error('no cluster in this test');
  },
  weftNamespace: 'weft-system',
  env: {},
  options: {},
};

// Fakes, to pin the runner and its rendering; the real checks run against the testbed in e2e/src/suites/cli.e2e.test.ts.
const fakeChecks: Check[] = [
  { id: 'a', category: 'first', description: 'passes', hint: 'never shown', run: () => Promise.resolve({ status: 'ok', detail: 'v1.34.4' }) },
  {
    id: 'b',
    category: 'first',
    description: 'fails with items',
    hint: 'fix the items',
    run: () =>
      Promise.resolve({
        status: 'failed',
        items: [
          { description: 'node1', status: 'ok', detail: '6.1.0' },
          { description: 'node2', status: 'failed', detail: '4.19.0\nsecond line not shown', hint: 'upgrade node2' },
        ],
      }),
  },
  { id: 'c', category: 'second', description: 'needs b', hint: 'x', needs: ['b'], run: () => Promise.reject(new Error('must not run')) },
  { id: 'd', category: 'second', description: 'throws', hint: 'the hint of d', run: () => Promise.reject(new Error('ECONNREFUSED')) },
  { id: 'e', category: 'second', description: 'warns', hint: 'rotate soon', needs: ['a'], run: () => Promise.resolve({ status: 'warning', detail: 'expires in 3 days' }) },
  { id: 'f', category: 'second', description: 'reads once', hint: 'x', run: async (env) => ({ status: 'ok', detail: String((await env.once('k', () => Promise.resolve(1))) + (await env.once('k', () => Promise.resolve(2)))) }) },
];

describe('checks', () => {
  it('run in order: a thrown error fails its check with its hint, a failed need skips, a memo is read once; output pinned', async () => {
    const seen: string[] = [];
    const results = await runChecks(fakeChecks, environment, (r) => seen.push(r.id));
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e', 'f'], 'each result reported as it ends');
    assert.deepEqual(
      results.map((r) => [r.id, r.status]),
      [['a', 'ok'], ['b', 'failed'], ['c', 'skipped'], ['d', 'failed'], ['e', 'warning'], ['f', 'ok']],
    );
    assert.equal(results.find((r) => r.id === 'd')?.hint, 'the hint of d');
    assert.equal(results.find((r) => r.id === 'f')?.detail, '2', 'the second once() got the first value');
    let previous: CheckResult | undefined;
    let text = '';
    for (const r of results) {
      text += renderResult(r, previous);
      previous = r;
    }
    assertGolden('check-fake.txt', text + renderSummary(results));
  });

  it('every real check has an id, a category, a description and a hint; ids are unique and needs exist', () => {
    for (const list of [preChecks, installChecks]) {
      const ids = list.map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const check of list) {
        assert.ok(check.description && check.hint && check.category, check.id);
        for (const need of check.needs ?? []) assert.ok(ids.indexOf(need) > -1 && ids.indexOf(need) < ids.indexOf(check.id), `${check.id} needs an earlier ${need}`);
      }
    }
  });

  it('compares Kubernetes and kernel versions', () => {
    assert.deepEqual(versionPair('v1.34.4'), [1, 34]);
    assert.deepEqual(versionPair('6.1.0-28-amd64'), [6, 1]);
    assert.equal(versionPair('unknown'), undefined);
    assert.ok(atLeast([1, 34], [1, 29]));
    assert.ok(!atLeast([1, 28], [1, 29]));
    assert.ok(atLeast([6, 1], [5, 15]));
    assert.ok(!atLeast([5, 10], [5, 15]));
  });
});
