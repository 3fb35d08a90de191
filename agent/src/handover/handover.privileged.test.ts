// Privileged tier: the hand-over between two agents, in one process — the real FdChannel
// (abstract AF_UNIX sockets, SCM_RIGHTS), listening sockets made in this netns by the
// addon passed across, the peer check against the real /proc — and every refusal path.
// Needs root (the peer must be root with CAP_SYS_ADMIN); fails, never skips, without it.
import assert from 'node:assert/strict';
import { closeSync, fstatSync, rmSync } from 'node:fs';
import { afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, isWeftError } from '@weft/api';
import { FdChannel, FdListener, listenInNetns } from '@weft/native';
import { fakeProc } from '../testing/fake-proc.js';
import { HandoverClient } from './handover-client.js';
import { decodeMessage, encodeMessage, handoverVersion } from './handover-protocol.js';
import { HandoverServer, type HandoverGiver } from './handover-server.js';
import type { PodSockets } from './node-sockets.js';

const log = createLogger({ component: 'handover-test', level: 'error' });
const inode = (fd: number): number => fstatSync(fd).ino;

describe('HandoverServer and HandoverClient', () => {
  const proc = '/proc';
  const name = `weft-handover-test-${process.pid}`;
  let opened: number[] = [];

  /** A listening TCP socket of this process, as the agent makes them (the addon). */
  const listening = async (): Promise<{ fd: number }> => {
    const fd = await listenInNetns({ netns: '/proc/self/ns/net', family: 4, address: '127.0.0.1', port: 0 });
    opened.push(fd);
    return { fd };
  };

  /** A giver whose calls are recorded. */
  const giver = (pods: PodSockets[], adminFd: number): HandoverGiver & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      freeze: () => {
        calls.push('freeze');
        return Promise.resolve();
      },
      sockets: () => {
        calls.push('sockets');
        return { adminFd, pods };
      },
      release: () => {
        calls.push('release');
        return Promise.resolve();
      },
      thaw: () => void calls.push('thaw'),
    };
  };

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('privileged test: must run as root (the hand-over admits only root peers); run `sudo make test`');
  });

  afterEach(() => {
    for (const fd of opened) closeSync(fd);
    opened = [];
  });

  it('is no predecessor when nobody listens', async () => {
    assert.equal(await HandoverClient.connect({ name, log, procRoot: proc }), undefined);
  });

  it('hands the very same listening sockets over, then the giver stops accepting and frees the name', async () => {
    const admin = await listening();
    const [outbound, inbound, hbone] = [await listening(), await listening(), await listening()];
    const recorded = giver([{ uid: 'pod-a', netnsCookie: 77n, inboundSlot: 2, outboundFds: [outbound.fd], inboundFd: inbound.fd, hbone: [{ ip: '198.19.1.2', fd: hbone.fd }] }], admin.fd);
    const server = HandoverServer.start({ name, giver: recorded, log, procRoot: proc, pollMs: 5 });
    try {
      assert.throws(() => HandoverServer.start({ name, giver: recorded, log, procRoot: proc }), (e) => isWeftError(e, 'WEFT_NATIVE_NAME_IN_USE'), 'one giver per name');
      const taker = await connectSoon({ name, log, procRoot: proc });
      const adminFd = taker.sockets.takeAdmin();
      const [captured] = taker.sockets.takeCapture();
      assert.ok(adminFd !== undefined && captured);
      assert.equal(inode(adminFd), inode(admin.fd), 'the admin socket is the same socket, not a copy');
      assert.equal(captured.netnsCookie, 77n);
      assert.equal(inode(captured.inboundFd), inode(inbound.fd));
      assert.equal(inode(captured.outboundFds[0] ?? -1), inode(outbound.fd));
      assert.equal(inode(taker.sockets.takeHbone('pod-a', '198.19.1.2') ?? -1), inode(hbone.fd));
      assert.deepEqual(recorded.calls, ['freeze', 'sockets'], 'the giver froze before it gave');
      assert.equal(server.handedOver(), false);
      assert.equal(await taker.take(2000), true);
      await server.whenHandedOver();
      assert.deepEqual(recorded.calls, ['freeze', 'sockets', 'release']);
      assert.equal(server.handedOver(), true);
      new FdListener(name).close(); // the name is free for the taker
      for (const fd of [adminFd, captured.inboundFd, ...captured.outboundFds]) closeSync(fd);
      taker.sockets.closeUnused();
    } finally {
      server.close();
    }
  });

  it('thaws the giver when the taker goes away before it took the node', async () => {
    const admin = await listening();
    const recorded = giver([], admin.fd);
    const server = HandoverServer.start({ name, giver: recorded, log, procRoot: proc, pollMs: 5 });
    try {
      const taker = await connectSoon({ name, log, procRoot: proc });
      taker.abort();
      await until(() => recorded.calls.includes('thaw'));
      assert.deepEqual(recorded.calls, ['freeze', 'sockets', 'thaw']);
      assert.equal(server.handedOver(), false);
      assert.ok(await connectSoon({ name, log, procRoot: proc }), 'and listens for the next successor');
    } finally {
      server.close();
    }
  });

  it('gives up on a taker that does not take the node in time: the giver keeps it, the taker is told', async () => {
    const admin = await listening();
    const recorded = giver([], admin.fd);
    const server = HandoverServer.start({ name, giver: recorded, log, procRoot: proc, pollMs: 5, takeTimeoutMs: 50 });
    try {
      const taker = await connectSoon({ name, log, procRoot: proc });
      await until(() => recorded.calls.includes('thaw'));
      assert.equal(await taker.take(1000), false, 'a giver that kept the node does not release it');
      assert.equal(server.handedOver(), false);
    } finally {
      server.close();
    }
  });

  it('refuses a peer that is not an agent, and a hello of another version', async () => {
    const admin = await listening();
    const weak = fakeProc(process.pid, { capEff: '0000000000000000' });
    const server = HandoverServer.start({ name, giver: giver([], admin.fd), log, procRoot: weak, pollMs: 5 });
    try {
      await assert.rejects(connectSoon({ name, log, procRoot: proc }), (e) => isWeftError(e, 'WEFT_HANDOVER_REFUSED') && /CAP_SYS_ADMIN/.test(e.message));
    } finally {
      server.close();
      rmSync(weak, { recursive: true });
    }
    const versioned = HandoverServer.start({ name, giver: giver([], admin.fd), log, procRoot: proc, pollMs: 5 });
    try {
      const channel = FdChannel.connect(name);
      channel.send(encodeMessage({ type: 'hello', version: handoverVersion + 1, pid: process.pid }));
      const answer = await receiveSoon(channel);
      assert.deepEqual(decodeMessage(answer, 0), { type: 'refused', reason: `hand-over version ${handoverVersion + 1} is not ${handoverVersion}` });
      channel.close();
    } finally {
      versioned.close();
    }
    // And a taker refuses a giver that is not an agent.
    const impostor = new FdListener(name);
    const unprivileged = fakeProc(process.pid, { capEff: '0000000000000000' });
    try {
      await assert.rejects(HandoverClient.connect({ name, log, procRoot: unprivileged }), (e) => isWeftError(e, 'WEFT_HANDOVER_UNTRUSTED_PEER'));
    } finally {
      impostor.close();
      rmSync(unprivileged, { recursive: true });
    }
  });
});

/** A taker of a giver that listens. */
async function connectSoon(options: Parameters<typeof HandoverClient.connect>[0]): Promise<HandoverClient> {
  const client = await HandoverClient.connect({ ...options, messageTimeoutMs: 2000 });
  assert.ok(client, 'a giver listens');
  return client;
}

async function receiveSoon(channel: FdChannel): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    const message = channel.receive(0);
    if (message) return message.data;
    await sleep(10);
  }
  throw new Error('no answer');
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(5);
  assert.ok(check(), 'timed out');
}
