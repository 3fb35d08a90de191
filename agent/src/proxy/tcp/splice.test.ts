import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { splice, type SpliceResult } from './splice.js';

/** client ⇄ [front socket | splice | back socket] ⇄ server, all real sockets on 127.0.0.1. */
describe('splice', () => {
  let serverSide: (socket: Socket) => void = () => undefined;
  let spliced: Promise<SpliceResult>;
  let observed: { client: number; server: number };
  const server = createServer({ allowHalfOpen: true }, (socket) => serverSide(socket));
  const front = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    const back = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    observed = { client: 0, server: 0 };
    spliced = splice(socket, back, {
      clientPrefix: Buffer.from('pre:'),
      onClientData: (c) => void (observed.client += c.length),
      onServerData: (c) => void (observed.server += c.length),
    });
  });

  before(async () => {
    server.listen(0, '127.0.0.1');
    front.listen(0, '127.0.0.1');
    await Promise.all([once(server, 'listening'), once(front, 'listening')]);
  });

  after(() => {
    server.close();
    front.close();
  });

  const open = (): Socket => connect({ port: (front.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });

  it('keeps half-close: the server answers after the client has finished writing, and counts every byte', async () => {
    serverSide = (socket) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => socket.end(`got ${text}`));
    };
    const client = open();
    let reply = '';
    client.on('data', (c: Buffer) => (reply += c.toString()));
    client.end('hello');
    await once(client, 'end');
    assert.equal(reply, 'got pre:hello');
    const result = await spliced;
    assert.deepEqual({ sent: result.sent, received: result.received, error: result.error }, { sent: 9, received: 13, error: undefined });
    assert.deepEqual(observed, { client: 9, server: 13 });
  });

  it('takes the other side down when one side is reset', async () => {
    serverSide = (socket) => socket.once('data', () => socket.resetAndDestroy());
    const client = open();
    client.on('error', () => undefined);
    client.resume();
    client.write('x');
    // The client is half-open by choice: its side ends when the splice takes the front down.
    await once(client, 'end');
    client.destroy();
    const result = await spliced;
    assert.ok(result.error, 'the reset is reported');
  });
});
