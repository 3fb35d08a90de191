// What a previous agent left, handed to the enrolls that claim it and let go of the rest.
// Links are stand-ins recording what is done to them; the privileged tier
// (capture-recovery.privileged.test.ts) runs the same code on real links and maps.
import assert from 'node:assert/strict';
import { fstatSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { BpfLink } from '@weft/native';
import { PreviousCapture } from './previous-capture.js';

function link(name: string, log: string[]): BpfLink {
  return { destroy: () => void log.push(`destroy ${name}`), close: () => void log.push(`close ${name}`) } as unknown as BpfLink;
}

const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

describe('PreviousCapture', () => {
  it('hands each pod its slot, link and listeners once, and lets go of pods that are not kept', () => {
    const log: string[] = [];
    const fds = [openSync('/dev/null', 'r'), openSync('/dev/null', 'r'), openSync('/dev/null', 'r'), openSync('/dev/null', 'r')];
    const [a0, a1, b0, b1] = fds.map((fd) => fd);
    const previous = new PreviousCapture({
      links: new Map([
        ['a', link('a', log)],
        ['b', link('b', log)],
      ]),
      pods: new Map([
        [11n, { inboundSlot: 4, flags: 1 }],
        [22n, { inboundSlot: 7, flags: 0 }],
      ]),
      listeners: [
        { uid: 'a', netnsCookie: 11n, outboundFds: [a0 ?? -1], inboundFd: a1 ?? -1 },
        { uid: 'b', netnsCookie: 22n, outboundFds: [b0 ?? -1], inboundFd: b1 ?? -1 },
      ],
    });
    assert.deepEqual(previous.slots().sort(), [4, 7]);
    const claimed = previous.claim('a', 11n);
    assert.deepEqual(claimed.entry, { inboundSlot: 4, flags: 1 });
    assert.equal(claimed.link?.reusable, true);
    assert.deepEqual(claimed.listeners?.outboundFds, [a0]);
    assert.deepEqual(previous.claim('a', 11n), { entry: undefined, link: undefined, listeners: undefined }, 'once');

    // Not settled (pod c, kept, is not enrolled yet): links and listeners of pods let go go; map entries wait.
    let released = previous.release(new Set(['a', 'c']), false);
    assert.deepEqual(released.stale.pods, []);
    assert.deepEqual(log, ['destroy b']);
    assert.equal(isOpen(b0 ?? -1) || isOpen(b1 ?? -1), false, 'b’s listeners are closed');
    released = previous.release(new Set(['a', 'c']), true);
    assert.deepEqual(released.stale.pods, [[22n, { inboundSlot: 7, flags: 0 }]], 'settled: the unclaimed map entry is stale');
    assert.equal(previous.empty, true);
  });

  it('drops listeners of a netns the pod no longer has, and those of a netns the maps do not capture', () => {
    const fds = [openSync('/dev/null', 'r'), openSync('/dev/null', 'r'), openSync('/dev/null', 'r'), openSync('/dev/null', 'r')];
    const previous = new PreviousCapture({
      pods: new Map([[11n, { inboundSlot: 0, flags: 0 }]]),
      listeners: [
        { uid: 'a', netnsCookie: 11n, outboundFds: [fds[0] ?? -1], inboundFd: fds[1] ?? -1 },
        { uid: 'ghost', netnsCookie: 99n, outboundFds: [fds[2] ?? -1], inboundFd: fds[3] ?? -1 },
      ],
    });
    assert.equal(isOpen(fds[2] ?? -1), false, 'listeners for a netns not in the maps are closed at once');
    const claimed = previous.claim('a', 12n);
    assert.equal(claimed.listeners, undefined, 'a new netns: the old listeners are of no use');
    assert.equal(isOpen(fds[0] ?? -1), false);
  });

  it('takes back what a failed enroll claimed, so the pod stays captured', () => {
    const log: string[] = [];
    const previous = new PreviousCapture({ links: new Map([['a', link('a', log)]]), pods: new Map([[11n, { inboundSlot: 3, flags: 1 }]]) });
    previous.restore('a', 11n, previous.claim('a', 11n));
    assert.deepEqual(previous.slots(), [3], 'the slot is held again');
    previous.close();
    assert.deepEqual(log, ['close a'], 'an agent leaving closes its handle on the restored link, never detaches it');
  });
});
