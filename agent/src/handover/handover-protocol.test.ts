// The hand-over's pure parts: its messages (and what malformed ones are refused with),
// the split of a node's sockets into messages, the inherited sockets' bookkeeping, and the
// peer check against a /proc the test makes. The exchange itself is in
// handover.privileged.test.ts (real sockets) and e2e/src/datapath/handover (real agents).
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { decodeMessage, encodeMessage, handoverVersion, maxFdsPerMessage, type HandoverMessage } from './handover-protocol.js';
import { fakeProc } from '../testing/fake-proc.js';
import { checkPeer, InheritedSockets, socketMessages, type PodSockets } from './node-sockets.js';

describe('hand-over protocol', () => {
  it('reads back what it writes', () => {
    const sockets: HandoverMessage = { type: 'sockets', admin: 0, pods: [{ uid: 'p1', netnsCookie: '18446744073709551615', inboundSlot: 3, outbound: [1, 2], inbound: 3, hbone: [{ ip: '10.0.0.1', fd: 4 }] }] };
    assert.deepEqual(decodeMessage(encodeMessage(sockets), 5), sockets);
    assert.deepEqual(decodeMessage(encodeMessage({ type: 'hello', version: handoverVersion, pid: 7 }), 0), { type: 'hello', version: handoverVersion, pid: 7 });
  });

  it('refuses what is malformed, with WEFT_HANDOVER_BAD_MESSAGE', () => {
    for (const [bytes, fds] of [
      ['not json', 0],
      ['[]', 0],
      ['{"type":"launch"}', 0],
      ['{"type":"hello","version":1}', 0],
      ['{"type":"sockets","pods":{}}', 0],
      ['{"type":"sockets","admin":2,"pods":[]}', 2],
      ['{"type":"sockets","pods":[{"uid":"p","netnsCookie":"-1","inboundSlot":0,"outbound":[0],"inbound":0,"hbone":[]}]}', 1],
      ['{"type":"sockets","pods":[{"uid":"p","netnsCookie":"1","inboundSlot":0,"outbound":[],"inbound":0,"hbone":[]}]}', 1],
      ['{"type":"sockets","pods":[{"uid":"p","netnsCookie":"1","inboundSlot":0,"outbound":[0],"inbound":1,"hbone":[]}]}', 1],
      ['{"type":"sockets","pods":[{"uid":"p","netnsCookie":"1","inboundSlot":0,"outbound":[0],"inbound":0,"hbone":[{"ip":"x","fd":9}]}]}', 1],
    ] as const) {
      assert.throws(() => decodeMessage(Buffer.from(bytes), fds), (e) => isWeftError(e, 'WEFT_HANDOVER_BAD_MESSAGE'), bytes);
    }
  });

  it('splits a large node into messages the kernel takes, each pod whole in one', () => {
    const pods: PodSockets[] = Array.from({ length: 200 }, (_, i) => ({ uid: `p${i}`, netnsCookie: BigInt(i), inboundSlot: i, outboundFds: [1000 + i, 2000 + i], inboundFd: 3000 + i, hbone: [{ ip: `10.0.${i}.1`, fd: 4000 + i }] }));
    const messages = socketMessages({ adminFd: 5, pods });
    assert.ok(messages.length > 1);
    const seen = new Set<string>();
    for (const { message, fds } of messages) {
      assert.ok(fds.length <= maxFdsPerMessage);
      const decoded = decodeMessage(encodeMessage(message), fds.length);
      if (decoded.type !== 'sockets') assert.fail(`a ${decoded.type} message`);
      for (const pod of decoded.pods) {
        seen.add(pod.uid);
        assert.deepEqual([...pod.outbound, pod.inbound, ...pod.hbone.map((h) => h.fd)].map((i) => fds[i]), [1000, 2000, 3000, 4000].map((base) => base + Number(pod.uid.slice(1))));
      }
    }
    assert.equal(seen.size, 200);
    assert.equal(messages.filter(({ message }) => message.type === 'sockets' && message.admin !== undefined).length, 1);
  });
});

describe('checkPeer', () => {
  it('admits only root with CAP_SYS_ADMIN and CAP_NET_ADMIN in the same user namespace', () => {
    const cases: [Parameters<typeof fakeProc>[1], number, RegExp | undefined][] = [
      [{}, 0, undefined],
      [{}, 1000, /not root/],
      [{ capEff: '0000000000000000' }, 0, /CAP_SYS_ADMIN/],
      [{ capEff: '0000000000200000' }, 0, /CAP_NET_ADMIN/],
      [{ userNs: 'user:[4026532000]' }, 0, /another user namespace/],
    ];
    for (const [options, uid, refusal] of cases) {
      const root = fakeProc(4242, options);
      try {
        const answer = checkPeer({ pid: 4242, uid }, root);
        if (refusal) assert.match(answer ?? '', refusal);
        else assert.equal(answer, undefined);
      } finally {
        rmSync(root, { recursive: true });
      }
    }
    assert.match(checkPeer({ pid: 0, uid: 0 }) ?? '', /not visible/);
    assert.match(checkPeer({ pid: 999_999_999, uid: 0 }) ?? '', /cannot be read/);
  });
});

describe('InheritedSockets', () => {
  it('gives each socket once, and closes what nobody took', () => {
    const fds = Array.from({ length: 5 }, () => openSync('/dev/null', 'r'));
    const inherited = new InheritedSockets();
    inherited.add({ type: 'sockets', admin: 4, pods: [{ uid: 'p', netnsCookie: '9', inboundSlot: 1, outbound: [0, 1], inbound: 2, hbone: [{ ip: '10.0.0.1', fd: 3 }] }] }, fds);
    assert.equal(inherited.takeAdmin(), fds[4]);
    assert.equal(inherited.takeAdmin(), undefined);
    assert.deepEqual(inherited.takeCapture(), [{ uid: 'p', netnsCookie: 9n, outboundFds: [fds[0], fds[1]], inboundFd: fds[2] }]);
    assert.deepEqual(inherited.takeCapture(), []);
    inherited.closeUnused();
    assert.throws(() => fstatSync(fds[3] ?? -1), /EBADF/, 'the HBONE socket nobody took is closed');
    for (const fd of [fds[0], fds[1], fds[2], fds[4]]) closeSync(fd ?? -1);
  });
});

