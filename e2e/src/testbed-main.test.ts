// Unit tier: the testbed command's usage errors (exit 2) — nothing here starts a cluster.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./testbed-main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, WEFT_TESTBED_DIR: '/nonexistent/weft-testbed-test' } });

describe('testbed command line', () => {
  it('prints help with --help and exits 0', () => {
    const r = run('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: testbed <command>/);
  });

  it('refuses unknown commands, flags, extra arguments and bad --nodes with exit 2 and a message', () => {
    for (const args of [[], ['launch'], ['up', '--bogus'], ['down', 'extra'], ['up', '--nodes', '0'], ['up', '--nodes', 'two'], ['up', '--nodes', '9']]) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /testbed:|Usage:/, args.join(' '));
    }
  });

  it('prints the kubeconfig path', () => {
    const r = run('kubeconfig');
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), '/nonexistent/weft-testbed-test/kubeconfig');
  });
});
