// Unit tier: the probe's logic with moved paths (a mountinfo without cgroup v2, no BTF);
// the privileged test runs the same checks against the real kernel.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { featureChecks, probeKernel, type ProbeEnvironment } from './feature-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function env(mountinfo: string[], status = 'CapEff:\t000001ffffffffff'): ProbeEnvironment {
  writeFileSync(join(dir, 'mountinfo'), mountinfo.join('\n'));
  writeFileSync(join(dir, 'status'), `Name:\tnode\n${status}\n`);
  return { mountinfoPath: join(dir, 'mountinfo'), statusPath: join(dir, 'status'), btfPath: join(dir, 'no-btf'), pinRoot: dir, objectPath: join(dir, 'none.o') };
}

const only = (...ids: string[]) => featureChecks.filter((c) => ids.includes(c.id));

describe('feature probe', () => {
  it('reports a missing cgroup v2 mount with its hint', () => {
    const [cgroup] = probeKernel(env(['32 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu']), only('cgroup2'));
    assert.equal(cgroup?.ok, false);
    assert.match(cgroup.hint ?? '', /mount -t cgroup2/);
  });

  it('finds cgroup v2 where a hybrid host mounts it', () => {
    const [cgroup] = probeKernel(env(['31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw']), only('cgroup2'));
    assert.equal(cgroup?.ok, true);
  });

  it('reports missing BTF, missing capabilities and a folder that is not bpffs', () => {
    const results = probeKernel(env([], 'CapEff:\t0000000000000000'), only('btf', 'capabilities', 'bpffs'));
    assert.deepEqual(results.map((r) => [r.id, r.ok]), [['capabilities', false], ['btf', false], ['bpffs', false]]);
    assert.ok(results.every((r) => r.hint));
  });

  it('turns a check that throws into a failure with detail instead of crashing', () => {
    const [object] = probeKernel(env([]), only('capture-programs'));
    assert.equal(object?.ok, false);
    assert.match(object.detail ?? '', /none\.o/);
  });
});
