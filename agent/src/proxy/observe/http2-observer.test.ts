import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpExchange } from './http-exchange.js';
import { Http2Observer } from './http2-observer.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** HPACK literals without indexing and without Huffman: enough to speak to the decoder. */
function block(fields: [string, string][]): Buffer {
  return Buffer.concat(
    fields.map(([name, value]) => Buffer.concat([Buffer.of(0x00, name.length), Buffer.from(name), Buffer.of(value.length), Buffer.from(value)])),
  );
}

const settings = frame(0x4, 0, 0, Buffer.from([0, 1, 0, 0, 0x10, 0])); // HEADER_TABLE_SIZE 4096
const request = (streamId: number, path: string, flags = 0x5): Buffer =>
  frame(0x1, flags, streamId, block([[':method', 'GET'], [':scheme', 'http'], [':path', path], [':authority', 'svc']]));
const response = (streamId: number, status: string, flags = 0x4): Buffer => frame(0x1, flags, streamId, block([[':status', status]]));

function observe(): { observer: Http2Observer; exchanges: HttpExchange[]; clock: { ms: number } } {
  const exchanges: HttpExchange[] = [];
  const clock = { ms: 0 };
  return { observer: new Http2Observer({ onExchange: (exchange) => exchanges.push(exchange), now: () => clock.ms }), exchanges, clock };
}

describe('Http2Observer with hand-made frames', () => {
  it('joins CONTINUATION, strips padding and priority, and times the exchange', () => {
    const { observer, exchanges, clock } = observe();
    const fields = block([[':method', 'POST'], [':scheme', 'http'], [':path', '/upload'], [':authority', 'files'], ['x-long', 'v'.repeat(100)]]);
    const padded = Buffer.concat([Buffer.of(3), Buffer.of(0, 0, 0, 0, 16), fields.subarray(0, 20), Buffer.alloc(3)]);
    clock.ms = 100;
    observer.client(Buffer.concat([PREFACE, settings, frame(0x1, 0x8 | 0x20, 1, padded), frame(0x9, 0, 1, fields.subarray(20, 50))]));
    observer.client(frame(0x9, 0x4, 1, fields.subarray(50)));
    observer.client(frame(0x0, 0x1, 1, Buffer.alloc(10)));
    observer.server(Buffer.concat([settings, response(1, '200'), frame(0x0, 0, 1, Buffer.alloc(50))]));
    assert.equal(exchanges.length, 0);
    clock.ms = 350;
    observer.server(frame(0x0, 0x1 | 0x8, 1, Buffer.concat([Buffer.of(2), Buffer.alloc(5)])));
    assert.deepEqual(exchanges, [{ protocol: 'http2', method: 'POST', path: '/upload', authority: 'files', status: 200, durationSeconds: 0.25 }]);
    assert.equal(observer.failed, false);
  });

  it('reports reset streams, drops streams past GOAWAY and reports the rest on close', () => {
    const { observer, exchanges } = observe();
    observer.client(Buffer.concat([PREFACE, settings, request(1, '/reset'), request(3, '/open'), request(5, '/answered'), request(7, '/refused')]));
    observer.server(Buffer.concat([settings, frame(0x3, 0, 1, Buffer.of(0, 0, 0, 8)), response(5, '502')]));
    observer.server(frame(0x7, 0, 0, Buffer.of(0, 0, 0, 5, 0, 0, 0, 0)));
    observer.close();
    assert.deepEqual(exchanges.map((exchange) => [exchange.path, exchange.status]), [['/reset', undefined], ['/open', undefined], ['/answered', 502]]);
  });

  it('decodes pushed header blocks to stay in step, without reporting them', () => {
    const { observer, exchanges } = observe();
    observer.client(Buffer.concat([PREFACE, settings, request(1, '/')]));
    // PUSH_PROMISE whose block adds a dynamic entry (literal with indexing) the next block refers to.
    const promise = Buffer.concat([Buffer.of(0, 0, 0, 2), Buffer.of(0x44, 7), Buffer.from('/pushed')]);
    observer.server(Buffer.concat([settings, frame(0x5, 0x4, 1, promise), frame(0x1, 0x4, 2, block([[':status', '200']]))]));
    observer.server(Buffer.concat([frame(0x1, 0x5, 1, Buffer.concat([Buffer.of(0x89), Buffer.of(0xbe)])), frame(0x0, 0x1, 2)]));
    assert.deepEqual(exchanges.map((exchange) => [exchange.path, exchange.status]), [['/', 204]]);
    assert.equal(observer.failed, false);
  });

  it('gives up silently on garbage', () => {
    const cases: [Buffer, Buffer][] = [
      [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(0)],
      [Buffer.concat([PREFACE, settings, request(1, '/')]), Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')],
      [Buffer.concat([PREFACE, request(1, '/')]), Buffer.alloc(0)], // no SETTINGS first
      [Buffer.concat([PREFACE, settings, frame(0x1, 0x5, 1, Buffer.of(0x80))]), Buffer.alloc(0)], // HPACK index 0
      [Buffer.concat([PREFACE, settings, frame(0x1, 0x1, 1, Buffer.of(0x82)), frame(0x9, 0x4, 3, Buffer.of(0x84))]), Buffer.alloc(0)],
      [Buffer.concat([PREFACE, settings, frame(0x1, 0x5, 2, block([[':method', 'GET']]))]), Buffer.alloc(0)], // even client stream
      [Buffer.concat([PREFACE, settings, frame(0x1, 0x5 | 0x8, 1, Buffer.of(200, 0x82))]), Buffer.alloc(0)], // padding past the end
    ];
    for (const [client, server] of cases) {
      const { observer, exchanges } = observe();
      observer.client(client);
      observer.server(server);
      observer.close();
      assert.equal(observer.failed, true, client.toString('hex').slice(0, 120));
      assert.deepEqual(exchanges, []);
    }
  });
});

describe('Http2Observer on real node:http2 traffic', () => {
  it('reports exactly one exchange per stream, with statuses, gRPC statuses and resets', async () => {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const path = headers[':path'] ?? '/';
      stream.on('error', () => undefined);
      if (path.startsWith('/ok')) {
        if (path === '/ok?push' && stream.pushAllowed) {
          stream.pushStream({ ':path': '/pushed.css' }, (error, pushed) => {
            if (!error) pushed.respond({ ':status': 200 }, { endStream: false });
            if (!error) pushed.end('pushed body');
          });
        }
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end('x'.repeat(1024));
      } else if (path === '/missing') {
        stream.respond({ ':status': 404 });
        stream.end();
      } else if (path === '/unavailable') {
        stream.respond({ ':status': 503, 'retry-after': '1' });
        stream.end('later');
      } else if (path === '/grpc') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '5', 'grpc-message': 'not found' }));
        stream.end(Buffer.alloc(5));
      } else if (path === '/grpc-trailers-only') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14' }, { endStream: true });
      } else if (path === '/reset') {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      } else {
        stream.resume();
        stream.on('end', () => {
          stream.respond({ ':status': 201 });
          stream.end();
        });
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');

    const exchanges: HttpExchange[] = [];
    const observer = new Http2Observer({ onExchange: (exchange) => exchanges.push(exchange) });
    const recorded: ['client' | 'server', Buffer][] = [];
    let relayClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (relayClosed = resolve));
    const relay = net.createServer((client) => {
      const upstream = net.connect(port(server), '127.0.0.1');
      client.on('data', (chunk: Buffer) => {
        recorded.push(['client', chunk]);
        observer.client(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        recorded.push(['server', chunk]);
        observer.server(chunk);
      });
      client.pipe(upstream).pipe(client);
      client.on('close', () => {
        observer.close();
        relayClosed();
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');

    const session = http2.connect(`http://127.0.0.1:${port(relay)}`);
    session.on('stream', (pushed) => pushed.resume());
    const paths = [
      ...Array.from({ length: 20 }, (_, index) => `/ok?n=${index}`),
      '/ok?push',
      '/missing',
      '/unavailable',
      '/grpc',
      '/grpc-trailers-only',
      '/reset',
      '/upload',
    ];
    try {
      await Promise.all(paths.map((path) => fetch(session, path)));
      // The relay sees the last frames just before the client does; let them land.
      for (let wait = 0; exchanges.length < paths.length && wait < 50; wait++) await sleep(10);
      const byPath = new Map(exchanges.map((exchange) => [exchange.path, exchange]));
      assert.equal(exchanges.length, paths.length);
      assert.equal(byPath.size, paths.length);
      assert.equal(observer.failed, false);
      for (let index = 0; index < 20; index++) assert.equal(byPath.get(`/ok?n=${index}`)?.status, 200);
      assert.equal(byPath.get('/ok?push')?.status, 200);
      assert.equal(byPath.get('/missing')?.status, 404);
      assert.equal(byPath.get('/unavailable')?.status, 503);
      assert.deepEqual(pick(byPath.get('/grpc')), { method: 'GET', status: 200, grpcStatus: 5 });
      assert.deepEqual(pick(byPath.get('/grpc-trailers-only')), { method: 'GET', status: 200, grpcStatus: 14 });
      assert.deepEqual(pick(byPath.get('/reset')), { method: 'GET', status: undefined, grpcStatus: undefined });
      assert.deepEqual(pick(byPath.get('/upload')), { method: 'POST', status: 201, grpcStatus: undefined });
      assert.equal(byPath.get('/missing')?.authority, `127.0.0.1:${port(relay)}`);
      for (const exchange of exchanges) assert.ok(exchange.durationSeconds >= 0 && exchange.durationSeconds < 5);
    } finally {
      session.close();
      await once(session, 'close');
      relay.close();
      server.close();
    }
    await closed;
    assert.equal(exchanges.length, paths.length, 'closing reports nothing more');

    // The same bytes, one at a time, must give the same exchanges.
    const replayed: HttpExchange[] = [];
    const replay = new Http2Observer({ onExchange: (exchange) => replayed.push(exchange) });
    for (const [from, chunk] of recorded) {
      const feed = from === 'client' ? replay.client.bind(replay) : replay.server.bind(replay);
      for (const byte of chunk) feed(Buffer.of(byte));
    }
    replay.close();
    assert.equal(replay.failed, false);
    assert.deepEqual(sorted(replayed), sorted(exchanges));
  });
});

function pick(exchange: HttpExchange | undefined): { method: string | undefined; status: number | undefined; grpcStatus: number | undefined } {
  return { method: exchange?.method, status: exchange?.status, grpcStatus: exchange?.grpcStatus };
}

function sorted(exchanges: HttpExchange[]): string[] {
  return exchanges.map((exchange) => `${exchange.path} ${exchange.status} ${exchange.grpcStatus}`).sort();
}

function port(server: net.Server | http2.Http2Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on TCP');
  return address.port;
}

async function fetch(session: http2.ClientHttp2Session, path: string): Promise<void> {
  const upload = path === '/upload';
  const stream = session.request({ ':path': path, ':method': upload ? 'POST' : 'GET' }, { endStream: !upload });
  if (upload) stream.end('y'.repeat(3000));
  stream.resume();
  stream.on('error', () => undefined);
  await new Promise<void>((resolve) => stream.on('close', resolve));
}
