// Privileged tier: on a kernel that runs Weft every prerequisite is present, and the
// weft-probe entry point says so (exit 0), or fails with usage (exit 2) on bad flags.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { NetnsLab } from '../testing/netns-lab.js';
import { captureObjectPath } from '../testing/paths.js';
import { probeKernel } from './feature-probe.js';

const probeMain = fileURLToPath(new URL('../probe-main.js', import.meta.url));

describe('feature probe on this kernel (privileged)', () => {
  let lab: NetnsLab;
  let pinRoot: string;

  before(() => {
    lab = NetnsLab.create();
    pinRoot = lab.bpffs();
  });
  after(() => lab.cleanup());

  it('finds every prerequisite present', () => {
    const results = probeKernel({ mountinfoPath: '/proc/self/mountinfo', btfPath: '/sys/kernel/btf/vmlinux', statusPath: '/proc/self/status', pinRoot, objectPath: captureObjectPath });
    assert.deepEqual(results.filter((r) => !r.ok), []);
    assert.ok(results.length >= 15);
  });

  it('weft-probe exits 0 with a table, 1 when something is missing, 2 on bad flags', () => {
    const ok = spawnSync(process.execPath, [probeMain, '--pin-root', pinRoot], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /all prerequisites present/);
    const missing = spawnSync(process.execPath, [probeMain, '--pin-root', '/tmp', '-o', 'json'], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    const parsed = JSON.parse(missing.stdout) as { id: string; ok: boolean }[];
    assert.equal(parsed.find((r) => r.id === 'bpffs')?.ok, false);
    for (const bad of [['--bogus'], ['-o', 'yaml'], ['extra']]) {
      const r = spawnSync(process.execPath, [probeMain, ...bad], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /weft-probe:/);
    }
  });
});
