import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectProtocol, sniffProtocol, type ProtocolVerdict } from './protocol-detect.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

describe('detectProtocol', () => {
  it('names each protocol from its first bytes, and asks for more only while it could still match', () => {
    const cases: [string | number[], ProtocolVerdict][] = [
      ['', 'need-more'],
      [PREFACE, 'http2'],
      [PREFACE + '\x00\x00\x12\x04', 'http2'],
      [PREFACE.slice(0, 23), 'need-more'],
      ['P', 'need-more'],
      ['PRI * HTTP/1.1\r\n', 'tcp'],
      ['GET / HTTP/1.1\r\n', 'http1'],
      ['GET / HTTP/1.', 'http1'],
      ['G', 'need-more'],
      ['GET', 'need-more'],
      ['GET ', 'need-more'],
      ['GET /a/b?c=d', 'need-more'],
      ['GET /a HTTP/', 'need-more'],
      ['GET  / HTTP/1.1', 'tcp'],
      ['GET / HTTP/2.0\r\n', 'tcp'],
      ['GET /\r\n', 'tcp'],
      ['get / HTTP/1.1\r\n', 'tcp'],
      ['POST /x HTTP/1.0\r\n', 'http1'],
      ['PATCH /x HTTP/1.1\r\n', 'http1'],
      ['PUT /x HTTP/1.1\r\n', 'http1'],
      ['DELETE /x HTTP/1.1\r\n', 'http1'],
      ['HEAD /x HTTP/1.1\r\n', 'http1'],
      ['OPTIONS * HTTP/1.1\r\n', 'http1'],
      ['TRACE / HTTP/1.1\r\n', 'http1'],
      ['CONNECT db:5432 HTTP/1.1\r\n', 'http1'],
      ['CONNEC', 'need-more'],
      ['HELLO world', 'tcp'],
      ['SSH-2.0-OpenSSH_9.6\r\n', 'tcp'],
      [[0x16], 'need-more'],
      [[0x16, 0x03, 0x01], 'need-more'],
      [[0x16, 0x03, 0x01, 0x02, 0x00], 'need-more'],
      [[0x16, 0x03, 0x01, 0x02, 0x00, 0x01], 'tls'],
      [[0x16, 0x03, 0x03, 0x00, 0x7a, 0x02], 'tcp'], // ServerHello: not what a client opens with
      [[0x16, 0x02, 0x00], 'tcp'],
      [[0x16, 0x03, 0x09], 'tcp'],
      [[0x16, 0x03, 0x01, 0x00, 0x00, 0x01], 'tcp'],
      [[0x17, 0x03, 0x03, 0x00, 0x10], 'tcp'],
      [[0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f], 'tcp'], // PostgreSQL SSLRequest
    ];
    for (const [input, expected] of cases) {
      const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input);
      assert.equal(detectProtocol(bytes), expected, JSON.stringify(input));
    }
  });
});

describe('sniffProtocol', () => {
  const server = net.createServer({ pauseOnConnect: true });
  const ready = new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets: net.Socket[] = [];
  after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });

  /** A connected pair: `client` is ours to write, `inbound` is the server's paused socket. */
  async function connect(): Promise<{ client: net.Socket; inbound: net.Socket }> {
    await ready;
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const nextInbound = once(server, 'connection') as Promise<[net.Socket]>;
    const client = net.connect(address.port, '127.0.0.1');
    await once(client, 'connect');
    const [inbound] = await nextInbound;
    sockets.push(client, inbound);
    return { client, inbound };
  }

  /** Everything the socket yields after it is resumed, until the client ends. */
  async function rest(socket: net.Socket): Promise<Buffer> {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    if (!socket.readableEnded) await once(socket, 'end');
    return Buffer.concat(chunks);
  }

  function assertLeftPaused(socket: net.Socket): void {
    assert.equal(socket.isPaused(), true);
    assert.equal(socket.listenerCount('data'), 0);
    assert.equal(socket.listenerCount('readable'), 0);
  }

  it('decides HTTP/1 across several writes and leaves the rest on the socket', async () => {
    const { client, inbound } = await connect();
    const sniffing = sniffProtocol(inbound, { timeoutMs: 2000 });
    client.write('GET /pa');
    await sleep(20);
    client.write('th HTTP/1.1\r\n');
    const result = await sniffing;
    assert.equal(result.protocol, 'http1');
    assert.equal(result.prefix.toString(), 'GET /path HTTP/1.1\r\n');
    assertLeftPaused(inbound);
    await sleep(20);
    client.end('Host: x\r\n\r\n');
    assert.equal((await rest(inbound)).toString(), 'Host: x\r\n\r\n');
  });

  it('decides HTTP/2 prior knowledge and TLS', async () => {
    const h2 = await connect();
    h2.client.write(PREFACE + '\x00\x00\x00\x04\x00\x00\x00\x00\x00');
    const h2Result = await sniffProtocol(h2.inbound, { timeoutMs: 2000, hint: 'grpc' });
    assert.equal(h2Result.protocol, 'http2');
    assert.ok(h2Result.prefix.toString('latin1').startsWith(PREFACE));

    const tls = await connect();
    tls.client.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03]));
    const tlsResult = await sniffProtocol(tls.inbound, { timeoutMs: 2000, hint: 'http' });
    assert.equal(tlsResult.protocol, 'tls');
    assertLeftPaused(tls.inbound);
  });

  it('gives up after exactly the timeout when the client says nothing (server speaks first; mocked clock)', async (t) => {
    const { inbound } = await connect();
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let settled = false;
    const sniffing = sniffProtocol(inbound, { timeoutMs: 100 });
    void sniffing.then(() => (settled = true));
    t.mock.timers.tick(99);
    await Promise.resolve();
    assert.equal(settled, false, 'still waiting 1 ms before the timeout');
    t.mock.timers.tick(1);
    assert.deepEqual(await sniffing, { protocol: 'tcp', prefix: Buffer.alloc(0) });
    assertLeftPaused(inbound);
  });

  it('gives up after the timeout on a partial match, returning what it read', async () => {
    const { client, inbound } = await connect();
    client.write('GET / HT');
    const result = await sniffProtocol(inbound, { timeoutMs: 100 });
    assert.equal(result.protocol, 'tcp');
    assert.equal(result.prefix.toString(), 'GET / HT');
    assertLeftPaused(inbound);
  });

  it('says tcp with what was read when the client ends early', async () => {
    const { client, inbound } = await connect();
    client.end('GE');
    const result = await sniffProtocol(inbound, { timeoutMs: 5000 });
    assert.equal(result.protocol, 'tcp');
    assert.equal(result.prefix.toString(), 'GE');
    assert.equal(inbound.readableEnded, true);
    assertLeftPaused(inbound);
  });

  it('says tcp past maxBytes', async () => {
    const { client, inbound } = await connect();
    client.write(`GET /${'a'.repeat(200)}`);
    const result = await sniffProtocol(inbound, { timeoutMs: 5000, maxBytes: 100 });
    assert.equal(result.protocol, 'tcp');
    assert.equal(result.prefix.length, 205);
  });

  it('reads nothing with the tcp hint', async () => {
    const { client, inbound } = await connect();
    client.write('GET / HTTP/1.1\r\n\r\n');
    const result = await sniffProtocol(inbound, { timeoutMs: 5000, hint: 'tcp' });
    assert.deepEqual(result, { protocol: 'tcp', prefix: Buffer.alloc(0) });
    assertLeftPaused(inbound);
    client.end();
    assert.equal((await rest(inbound)).toString(), 'GET / HTTP/1.1\r\n\r\n');
  });
});
