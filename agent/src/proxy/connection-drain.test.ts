// Draining proxied connections: an HTTP/1 connection is told `Connection: close` in its next
// final response and ended after it; one that stays idle is ended as it is; what the proxy
// cannot delimit (HTTP/2, opaque TCP) runs on. Byte-level with a mocked clock, then real
// keep-alive clients through serveProxied.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ConnectionDrain } from './connection-drain.js';
import { serveProxied } from './tcp/proxied-connection.js';
import { ProxyMetrics, unknownPeer } from './metrics/proxy-metrics.js';
import { TrafficObserver } from './observe/traffic-observer.js';

const request = Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
const response = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'latin1');

const observer = (): TrafficObserver => new TrafficObserver({ onExchange: () => undefined });

describe('TrafficObserver.drainHttp1', () => {
  it('puts Connection: close in the next final response, past 1xx, then ends the connection after it', () => {
    const traffic = observer();
    traffic.client(request);
    let closed = 0;
    assert.equal(
      traffic.drainHttp1(() => closed++),
      true,
    );
    const interim = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    assert.equal(traffic.server(interim), undefined, 'an interim response is passed as it is');
    const rewritten = traffic.server(response);
    assert.equal(rewritten?.toString('latin1'), 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
    return Promise.resolve().then(() => assert.equal(closed, 1, 'ended once the response is through'));
  });

  it('finds the status line in a response head split over several chunks', async () => {
    const traffic = observer();
    traffic.client(request);
    let closed = 0;
    traffic.drainHttp1(() => closed++);
    const text = response.toString('latin1');
    const parts = [text.slice(0, 5), text.slice(5, 20), text.slice(20)].map((part) => Buffer.from(part, 'latin1'));
    const out = parts.map((part) => traffic.server(part) ?? part);
    assert.equal(Buffer.concat(out).toString('latin1'), 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
    await Promise.resolve();
    assert.equal(closed, 1);
  });

  it('ends a connection that stays idle (mocked clock), and never one in the middle of an exchange', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const traffic = observer();
    traffic.client(request);
    traffic.server(response);
    let closed = 0;
    traffic.drainHttp1(() => closed++);
    traffic.client(request); // a request arrives: busy now
    t.mock.timers.tick(1000);
    t.mock.timers.tick(1000);
    assert.equal(closed, 0, 'not while a request waits for its response');
    traffic.close();
    const idle = observer();
    idle.client(request);
    idle.server(response);
    idle.drainHttp1(() => closed++);
    t.mock.timers.tick(999);
    assert.equal(closed, 0);
    t.mock.timers.tick(1);
    assert.equal(closed, 1, 'idle for a second: ended as it is');
  });

  it('leaves HTTP/2 and opaque TCP alone', () => {
    const h2 = observer();
    h2.client(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
    assert.equal(
      h2.drainHttp1(() => assert.fail('not closed')),
      false,
    );
    const tcp = new TrafficObserver({ hint: 'tcp', onExchange: () => undefined });
    assert.equal(
      tcp.drainHttp1(() => assert.fail('not closed')),
      false,
    );
  });
});

describe('ConnectionDrain through serveProxied', () => {
  it('moves keep-alive clients to new connections without a failed request', async () => {
    const server = http.createServer({ keepAlive: true }, (req, res) => {
      req.resume();
      res.end('hello');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const drain = new ConnectionDrain();
    const metrics = new ProxyMetrics(new Registry());
    let proxied = 0;
    const proxy = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
      proxied++;
      const upstream = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
      void serveProxied({ client, upstream, labels: [{ direction: 'outbound', source: unknownPeer, destination: unknownPeer, mtls: false }], metrics, drain });
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const port = (proxy.address() as net.AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const get = (): Promise<{ status: number; connection: string | undefined }> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          })
          .on('error', reject);
      });
    try {
      // Keep both connections busy, with requests queued on them, while the drain starts.
      const before = await Promise.all(Array.from({ length: 20 }, get));
      const opened = (): number => proxied;
      assert.equal(opened(), 2);
      const during: Promise<{ status: number; connection: string | undefined }>[] = [];
      for (let i = 0; i < 20; i++) {
        during.push(get());
        if (i === 5) drain.drain();
      }
      const answers = [...before, ...(await Promise.all(during))];
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]), 'no request failed');
      // Beside the server's own keep-alive: the client's parser joins them, and close wins.
      assert.ok(answers.filter((a) => a.connection?.split(/,\s*/).includes('close')).length >= 1, 'the draining connections said Connection: close');
      assert.ok(opened() > 2, `the clients opened new connections (${opened()} in all)`);
      assert.equal(drain.draining, true);
    } finally {
      agent.destroy();
      proxy.close();
      server.close();
    }
  });
});
