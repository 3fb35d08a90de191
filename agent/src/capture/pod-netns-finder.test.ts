// PodNetnsFinder on a /proc of its own (real files in a temporary folder): which process's
// cgroup names the pod, both uid spellings, handles held until release. The real /proc and
// real namespaces are exercised by the e2e suite "enroll".
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PodNetnsFinder } from './pod-netns-finder.js';

const uidA = '3f2c9a10-7d4e-4b8a-9c1e-2a5b6c7d8e9f';
const uidB = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('PodNetnsFinder', () => {
  let proc: string;
  const fakeProcess = (pid: number, cgroup: string): void => {
    mkdirSync(join(proc, String(pid), 'ns'), { recursive: true });
    writeFileSync(join(proc, String(pid), 'cgroup'), cgroup);
    writeFileSync(join(proc, String(pid), 'ns', 'net'), `netns of ${pid}`);
  };

  before(() => {
    proc = mkdtempSync(join(tmpdir(), 'weft-proc-'));
    fakeProcess(100, '0::/system.slice/sshd.service\n');
    // The testbed's layout: <root>/<node>/<uid>.
    fakeProcess(200, `0::/wtb-pods/node1/${uidA}\n`);
    // A systemd cgroup driver writes the uid with underscores.
    fakeProcess(300, `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidB.replaceAll('-', '_')}.slice/cri-containerd-abc.scope\n`);
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'meminfo'), 'not a process');
  });
  after(() => rmSync(proc, { recursive: true, force: true }));

  it('finds each pod by its uid in a process’s cgroup, in both spellings, and holds its namespace open', () => {
    const finder = new PodNetnsFinder({ procRoot: proc });
    const found = finder.find([uidA, uidB, 'not-running']);
    assert.deepEqual([...found.keys()].sort(), [uidA, uidB].sort(), 'a pod with no process is left out');
    const pathA = found.get(uidA) ?? '';
    assert.match(pathA, /^\/proc\/self\/fd\/\d+$/);
    assert.equal(readlinkSync(pathA), join(proc, '200', 'ns', 'net'), 'the handle is the namespace of the pod’s own process');
    assert.equal(readlinkSync(found.get(uidB) ?? ''), join(proc, '300', 'ns', 'net'));
    assert.deepEqual(finder.held().sort(), [uidA, uidB].sort());
    finder.releaseAll();
  });

  it('answers from the handle it holds, and lets it go on release', () => {
    const finder = new PodNetnsFinder({ procRoot: proc });
    const first = finder.find([uidA]).get(uidA) ?? '';
    rmSync(join(proc, '200'), { recursive: true }); // the process went; the handle stays
    assert.equal(finder.find([uidA]).get(uidA), first);
    finder.release(uidA);
    assert.deepEqual(finder.held(), []);
    assert.throws(() => readlinkSync(first), 'the descriptor is closed');
    assert.equal(finder.find([uidA]).size, 0, 'and without a process the pod is not found again');
    finder.release(uidA); // releasing twice is harmless
  });
});
