// Privileged tier: sockets inside network namespaces made by this test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, createServer, Socket, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { NativeError } from './native-error.js';
import { connectInNetns, listenInNetns, netnsCookie, socketNetnsCookie } from './netns.js';

const name = `wn${process.pid.toString(36)}`;
const netns = `/run/netns/${name}`;

function inNetns(...args: string[]): string {
  return execFileSync('nsenter', [`--net=${netns}`, '--', ...args], { encoding: 'utf8' });
}

function serve(fd: number): Promise<Server> {
  const server = createServer((s) => s.pipe(s));
  return new Promise((resolve) => server.listen({ fd }, () => resolve(server)));
}

describe('sockets inside a network namespace (privileged)', () => {
  before(() => {
    if (process.getuid?.() !== 0) throw new Error('privileged test: must run as root (CAP_SYS_ADMIN, CAP_NET_ADMIN); run `sudo make test`');
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  });

  after(() => {
    execFileSync('ip', ['netns', 'del', name]);
  });

  it('opens a listener inside the namespace, served by this process, invisible outside', async () => {
    const fd = await listenInNetns({ netns, family: 4, address: '127.0.0.1', port: 15099 });
    const server = await serve(fd);
    assert.match(inNetns('ss', '-Htln'), /127\.0\.0\.1:15099/);
    assert.doesNotMatch(execFileSync('ss', ['-Htln'], { encoding: 'utf8' }), /:15099\b/);
    // A client inside the namespace reaches it (through a socket the addon connects there).
    const clientFd = await connectInNetns({ netns, family: 4, address: '127.0.0.1', port: 15099 });
    const client = new Socket({ fd: clientFd, readable: true, writable: true });
    const echoed = await new Promise<string>((resolve) => {
      client.once('data', (d) => resolve(d.toString()));
      client.write('hello');
    });
    assert.equal(echoed, 'hello');
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.doesNotMatch(inNetns('ss', '-Htln'), /15099/);
  });

  it('reads the namespace cookie, the same from a path and from a socket made there', async () => {
    const cookie = await netnsCookie(netns);
    const hostCookie = await netnsCookie('/proc/self/ns/net');
    assert.notEqual(cookie, hostCookie);
    const fd = await listenInNetns({ netns, family: 4, address: '127.0.0.1', port: 0 });
    assert.equal(socketNetnsCookie(fd), cookie);
    const server = await serve(fd);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives typed errors for a missing namespace, a non-namespace, a bad address, a taken port and a refused connect', async () => {
    await assert.rejects(netnsCookie('/run/netns/weft-missing'), (e) => isWeftError(e, 'WEFT_NATIVE_NOT_FOUND'));
    await assert.rejects(listenInNetns({ netns: '/etc/hostname', family: 4, address: '127.0.0.1' }), (e) => isWeftError(e, 'WEFT_NATIVE_NOT_A_NETNS'));
    await assert.rejects(listenInNetns({ netns, family: 4, address: 'fd00::1' }), (e) => isWeftError(e, 'WEFT_NATIVE_BAD_ADDRESS'));
    const fd = await listenInNetns({ netns, family: 4, address: '127.0.0.1', port: 15098 });
    await assert.rejects(listenInNetns({ netns, family: 4, address: '127.0.0.1', port: 15098 }), (e) => isWeftError(e, 'WEFT_NATIVE_ADDRESS_IN_USE'));
    const server = await serve(fd);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await assert.rejects(connectInNetns({ netns, family: 4, address: '127.0.0.1', port: 15097 }), (e) => e instanceof NativeError && e.code === 'WEFT_NATIVE_CONNECTION_REFUSED');
    await assert.rejects(listenInNetns({ netns: '', family: 4, address: '127.0.0.1' }), TypeError);
    // A plain client outside cannot reach the namespace's listener.
    const outside = connect({ host: '127.0.0.1', port: 15098 });
    await new Promise<void>((resolve) => outside.once('error', () => resolve()));
  });
});
