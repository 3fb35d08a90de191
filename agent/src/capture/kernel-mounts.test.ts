import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findCgroup2Root, findMounts, isOnBpffs } from './kernel-mounts.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-mounts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function mountinfo(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('kernel-mounts', () => {
  it('finds the cgroup v2 root on unified and on hybrid hosts', () => {
    const unified = mountinfo('unified', ['35 24 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate']);
    const hybrid = mountinfo('hybrid', [
      '30 24 0:26 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755',
      '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw',
      '32 30 0:28 / /sys/fs/cgroup/cpu rw,nosuid shared:11 - cgroup cgroup rw,cpu',
    ]);
    assert.equal(findCgroup2Root(unified), '/sys/fs/cgroup');
    assert.equal(findCgroup2Root(hybrid), '/sys/fs/cgroup/unified');
  });

  it('reports no cgroup v2 root when only cgroup v1 is mounted', () => {
    const v1 = mountinfo('v1', ['32 30 0:28 / /sys/fs/cgroup/cpu rw,nosuid shared:11 - cgroup cgroup rw,cpu']);
    assert.equal(findCgroup2Root(v1), undefined);
  });

  it('decodes escaped mount points and skips malformed lines', () => {
    const odd = mountinfo('odd', ['garbage', '40 24 0:40 / /mnt/with\\040space rw - bpf bpf rw']);
    assert.deepEqual(findMounts('bpf', odd), ['/mnt/with space']);
  });

  it('says a folder on tmpfs or ext4 is not bpffs', () => {
    assert.equal(isOnBpffs(dir), false);
    assert.equal(isOnBpffs(join(dir, 'not', 'yet', 'made')), false);
  });
});
