// The weft-control binary's front door: --help, and bad settings or a missing kubeconfig
// refused with the reason named, before any port is bound.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { settings } from './config.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });

describe('weft-control', () => {
  it('prints every setting with --help and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    for (const name of Object.keys(settings)) assert.match(result.stdout, new RegExp(name));
  });

  it('refuses bad settings, all named at once, and exits 1', () => {
    const result = run([], { WEFT_CERT_TTL_SECONDS: '5', WEFT_GRPC_ADDRESS: 'nowhere' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /WEFT_CONTROL_BAD_CONFIG/);
    assert.match(result.stderr, /WEFT_CERT_TTL_SECONDS=5/);
    assert.match(result.stderr, /WEFT_GRPC_ADDRESS=nowhere/);
  });

  it('says how to connect when it is outside a cluster without a kubeconfig, or the kubeconfig is missing', () => {
    const outside = run([]);
    assert.equal(outside.status, 1);
    assert.match(outside.stderr, /WEFT_KUBE_NO_CONFIG: not running in a cluster and no kubeconfig was given.*WEFT_KUBECONFIG/);
    const missing = run([], { WEFT_KUBECONFIG: '/nonexistent/kubeconfig' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /WEFT_KUBE_NO_CONFIG: the kubeconfig \/nonexistent\/kubeconfig does not exist/);
  });
});
