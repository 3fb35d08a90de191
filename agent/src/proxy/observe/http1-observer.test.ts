import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import type { HttpExchange } from './http-exchange.js';
import { Http1Observer } from './http1-observer.js';

/** An observer with a clock the test moves by hand. */
function observe(): { observer: Http1Observer; exchanges: HttpExchange[]; clock: { ms: number } } {
  const exchanges: HttpExchange[] = [];
  const clock = { ms: 0 };
  const observer = new Http1Observer({ onExchange: (exchange) => exchanges.push(exchange), now: () => clock.ms });
  return { observer, exchanges, clock };
}

/** Splits `text` into pieces at the given offsets. */
function pieces(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'latin1');
  const bounds = [0, ...cuts.filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b), bytes.length];
  return bounds.slice(1).map((end, index) => bytes.subarray(bounds[index], end));
}

/** A small deterministic generator, so a failing split can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const REQUEST_CL = 'POST /upload?x=1 HTTP/1.1\r\nHost: api.example\r\nContent-Length: 11\r\n\r\nhello world';
const RESPONSE_CL = 'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Thing: y\r\n\r\nabcde';
const REQUEST_CHUNKED =
  'PUT /items/7 HTTP/1.1\r\nhost: items\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n';
const RESPONSE_CHUNKED =
  'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\nA\r\n0123456789\r\n0\r\nGrpc-Status: 0\r\nX-Other: 2\r\n\r\n';

describe('Http1Observer', () => {
  it('reports a request and its response however the bytes are split', () => {
    const next = random(7);
    for (let round = 0; round < 200; round++) {
      const { observer, exchanges, clock } = observe();
      const request = REQUEST_CL + REQUEST_CHUNKED;
      const response = RESPONSE_CL + RESPONSE_CHUNKED;
      const cuts = (length: number): number[] => Array.from({ length: 1 + Math.floor(next() * 12) }, () => Math.floor(next() * length));
      clock.ms = 1000;
      for (const piece of pieces(request, cuts(request.length))) observer.client(piece);
      clock.ms = 1250;
      for (const piece of pieces(response, cuts(response.length))) observer.server(piece);
      assert.equal(observer.failed, false, `round ${round}`);
      assert.deepEqual(exchanges, [
        { protocol: 'http1', method: 'POST', path: '/upload?x=1', authority: 'api.example', status: 201, durationSeconds: 0.25 },
        { protocol: 'http1', method: 'PUT', path: '/items/7', authority: 'items', status: 200, durationSeconds: 0.25 },
      ]);
    }
  });

  it('reads one byte at a time', () => {
    const { observer, exchanges } = observe();
    for (const byte of Buffer.from(REQUEST_CHUNKED + REQUEST_CL)) observer.client(Buffer.of(byte));
    for (const byte of Buffer.from(RESPONSE_CHUNKED + RESPONSE_CL)) observer.server(Buffer.of(byte));
    assert.deepEqual(exchanges.map((exchange) => [exchange.method, exchange.status]), [['PUT', 200], ['POST', 201]]);
  });

  it('matches pipelined responses to requests in order, including bodiless ones', () => {
    const { observer, exchanges } = observe();
    observer.client(Buffer.from('HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n\r\nDELETE /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n'));
    observer.server(
      Buffer.from(
        'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' + // HEAD: the length describes a body that is not sent
          'HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\n\r\n' +
          'HTTP/1.1 204 No Content\r\n\r\n' +
          'HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnope',
      ),
    );
    assert.deepEqual(exchanges.map((exchange) => [exchange.method, exchange.path, exchange.status]), [
      ['HEAD', '/a', 200],
      ['GET', '/b', 304],
      ['DELETE', '/c', 204],
      ['GET', '/d', 404],
    ]);
    assert.equal(observer.failed, false);
  });

  it('waits past 1xx interim responses for the final one', () => {
    const { observer, exchanges, clock } = observe();
    observer.client(Buffer.from('POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'));
    clock.ms = 10;
    observer.server(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n'));
    assert.equal(exchanges.length, 0);
    observer.client(Buffer.from('ok'));
    clock.ms = 30;
    observer.server(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual(exchanges, [{ protocol: 'http1', method: 'POST', path: '/p', status: 503, durationSeconds: 0.03 }]);
  });

  it('ends a response without a length when the connection closes', () => {
    const { observer, exchanges, clock } = observe();
    observer.client(Buffer.from('GET /stream HTTP/1.0\r\n\r\n'));
    observer.server(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome bytes'));
    observer.server(Buffer.alloc(100_000));
    assert.equal(exchanges.length, 0);
    clock.ms = 2000;
    observer.close();
    assert.deepEqual(exchanges, [{ protocol: 'http1', method: 'GET', path: '/stream', status: 200, durationSeconds: 2 }]);
  });

  it('reports unanswered requests on close without a status', () => {
    const { observer, exchanges, clock } = observe();
    observer.client(Buffer.from('GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\nGET /thr'));
    observer.server(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'));
    clock.ms = 500;
    observer.close();
    assert.deepEqual(exchanges, [
      { protocol: 'http1', method: 'GET', path: '/one', status: 200, durationSeconds: 0.5 },
      { protocol: 'http1', method: 'GET', path: '/two', durationSeconds: 0.5 },
    ]);
    observer.client(Buffer.from('GET /late HTTP/1.1\r\n\r\n'));
    observer.close();
    assert.equal(exchanges.length, 2);
  });

  it('stops at a 101 upgrade and ignores the tunnel', () => {
    const { observer, exchanges } = observe();
    observer.client(Buffer.from('GET /ws HTTP/1.1\r\nHost: chat\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x85garbage'));
    observer.server(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello'));
    observer.client(Buffer.from('more opaque frames'));
    observer.close();
    assert.deepEqual(exchanges, [{ protocol: 'http1', method: 'GET', path: '/ws', authority: 'chat', status: 101, durationSeconds: 0 }]);
    assert.equal(observer.failed, false);
  });

  it('keeps reading after a declined upgrade', () => {
    const { observer, exchanges } = observe();
    observer.client(Buffer.from('GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\nGET /next HTTP/1.1\r\n\r\n'));
    observer.server(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual(exchanges.map((exchange) => exchange.path), ['/', '/next']);
  });

  it('treats a CONNECT answered 2xx as a tunnel, and a refused one as HTTP again', () => {
    const tunnel = observe();
    tunnel.observer.client(Buffer.from('CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n\x16\x03\x01'));
    tunnel.observer.server(Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x03 server hello'));
    tunnel.observer.client(Buffer.from('GET /not-http HTTP/1.1\r\n\r\n'));
    assert.deepEqual(tunnel.exchanges, [{ protocol: 'http1', method: 'CONNECT', path: 'db.internal:5432', authority: 'db.internal:5432', status: 200, durationSeconds: 0 }]);

    const refused = observe();
    refused.observer.client(Buffer.from('CONNECT db.internal:5432 HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n'));
    refused.observer.server(Buffer.from('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'));
    refused.observer.server(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual(refused.exchanges.map((exchange) => [exchange.method, exchange.status]), [['CONNECT', 407], ['GET', 200]]);

    // Too much sent before the refusal to replay: the CONNECT is still reported, then the observer gives up.
    const flood = observe();
    flood.observer.client(Buffer.concat([Buffer.from('CONNECT db:5432 HTTP/1.1\r\n\r\n'), Buffer.alloc(70_000)]));
    flood.observer.server(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual(flood.exchanges.map((exchange) => exchange.status), [403]);
    assert.equal(flood.observer.failed, true);
  });

  it('splits an absolute-form target into authority and path', () => {
    const { observer, exchanges } = observe();
    observer.client(Buffer.from('GET http://example.com:8080/a/b?c HTTP/1.1\r\nHost: example.com:8080\r\n\r\n'));
    observer.server(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual(exchanges.map((exchange) => [exchange.authority, exchange.path]), [['example.com:8080', '/a/b?c']]);
  });

  it('gives up silently on garbage and on overlong heads', () => {
    const garbage: [string, string][] = [
      ['\x16\x03\x01\x02\x00\x01', ''],
      ['GET / HTTP/1.1\r\nBad Header\r\n\r\n', ''],
      ['GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', ''],
      ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', ''],
      ['GET / HTTP/1.1\r\n\r\n', 'SSH-2.0-OpenSSH\r\n'],
      ['GET / HTTP/1.1\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
      ['', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
      [`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, ''],
      [`GET /${'a'.repeat(70_000)}`, ''],
    ];
    for (const [client, server] of garbage) {
      const { observer, exchanges } = observe();
      observer.client(Buffer.from(client, 'latin1'));
      observer.server(Buffer.from(server, 'latin1'));
      observer.client(Buffer.from('GET /after HTTP/1.1\r\n\r\n'));
      observer.server(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
      observer.close();
      assert.equal(observer.failed, true, JSON.stringify(client.slice(0, 60) + server));
      assert.deepEqual(exchanges, []);
    }
  });

  it('follows real node:http traffic through a relay', async () => {
    const server = http.createServer((request, response) => {
      const status = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      request.resume();
      request.on('end', () => {
        if (request.url?.includes('chunked')) {
          response.writeHead(status);
          response.write('x'.repeat(3000));
          response.end('y');
        } else {
          response.writeHead(status, { 'content-length': 4 }).end('body');
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { observer, exchanges } = observeReal();
    const relay = net.createServer((client) => {
      const upstream = net.connect(address(server).port, '127.0.0.1');
      client.on('data', (chunk: Buffer) => observer.client(chunk));
      upstream.on('data', (chunk: Buffer) => observer.server(chunk));
      client.pipe(upstream).pipe(client);
      client.on('close', () => observer.close());
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const paths = ['/?status=200', '/chunked?status=404', '/?status=503', '/chunked?status=200'];
      for (const path of paths) {
        const body = path.includes('chunked') ? 'z'.repeat(5000) : undefined;
        await request({ port: address(relay).port, path, agent, method: body ? 'POST' : 'GET', body });
      }
      assert.deepEqual(exchanges.map((exchange) => [exchange.method, exchange.path, exchange.status]), [
        ['GET', '/?status=200', 200],
        ['POST', '/chunked?status=404', 404],
        ['GET', '/?status=503', 503],
        ['POST', '/chunked?status=200', 200],
      ]);
      assert.equal(observer.failed, false);
    } finally {
      agent.destroy();
      relay.close();
      server.close();
    }
  });
});

function observeReal(): { observer: Http1Observer; exchanges: HttpExchange[] } {
  const exchanges: HttpExchange[] = [];
  return { observer: new Http1Observer({ onExchange: (exchange) => exchanges.push(exchange) }), exchanges };
}

function address(server: net.Server): net.AddressInfo {
  const value = server.address();
  if (value === null || typeof value === 'string') throw new Error('the server is not listening on TCP');
  return value;
}

async function request(options: { port: number; path: string; agent: http.Agent; method: string; body: string | undefined }): Promise<void> {
  const outgoing = http.request({ host: '127.0.0.1', port: options.port, path: options.path, agent: options.agent, method: options.method });
  if (options.body !== undefined) outgoing.write(options.body); // no length given: sent chunked
  outgoing.end();
  const [response] = (await once(outgoing, 'response')) as [http.IncomingMessage];
  response.resume();
  await once(response, 'end');
}
