// The weft-agent binary's front door: --help, and settings or a static config that cannot
// be used refused before anything is touched, with the reason named.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { settings } from './config.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });

describe('weft-agent', () => {
  it('prints every setting with --help and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    for (const name of Object.keys(settings)) assert.match(result.stdout, new RegExp(name));
  });

  it('refuses a stop mode, a drain and an admin address it cannot use, naming each', () => {
    const result = run([], { WEFT_NODE_NAME: 'n1', WEFT_STOP_MODE: 'maybe', WEFT_DRAIN_SECONDS: 'soon', WEFT_SUCCESSOR_WAIT_SECONDS: '-1', WEFT_ADMIN_ADDRESS: 'localhost:15020' });
    assert.equal(result.status, 1);
    for (const text of ['WEFT_STOP_MODE=maybe must be auto, leave or release', 'WEFT_DRAIN_SECONDS=soon', 'WEFT_SUCCESSOR_WAIT_SECONDS=-1', 'WEFT_ADMIN_ADDRESS=localhost:15020 must be an IP address']) {
      assert.ok(result.stderr.includes(text), `${text} in: ${result.stderr}`);
    }
  });

  it('names every missing or bad setting in one error and exits 1', () => {
    const result = run([], { WEFT_ADMIN_ADDRESS: 'nowhere', WEFT_LOG_LEVEL: 'loud' });
    assert.equal(result.status, 1);
    for (const text of ['WEFT_AGENT_BAD_CONFIG', 'WEFT_NODE_NAME is required', 'WEFT_ADMIN_ADDRESS=nowhere', 'WEFT_LOG_LEVEL=loud', '--help']) {
      assert.ok(result.stderr.includes(text), `${text} in: ${result.stderr}`);
    }
  });

  it('refuses a missing trust bundle with the reason and where it comes from', () => {
    const result = run([], { WEFT_NODE_NAME: 'n1', WEFT_TRUST_BUNDLE: '/nonexistent/root.crt' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /WEFT_AGENT_NO_TRUST_BUNDLE: the mesh root cannot be read from \/nonexistent\/root\.crt/);
    assert.match(result.stderr, /weft-trust-bundle/);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'a reason, not a stack trace');
  });

  it('refuses a static config it cannot use, naming the field, before touching the kernel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-agent-main-'));
    try {
      const file = join(dir, 'mesh.json');
      writeFileSync(file, JSON.stringify({ workloads: [{ name: 'a', namespace: 'shop', node: 'n1', ips: ['10.0.0.999'] }] }));
      const result = run([], { WEFT_NODE_NAME: 'n1', WEFT_STATIC_CONFIG: file });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /WEFT_STATE_BAD_CONFIG/);
      assert.match(result.stderr, /workloads\[0\]\.ips\[0\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
