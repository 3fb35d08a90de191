import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HttpExchange } from './http-exchange.js';
import { TrafficObserver } from './traffic-observer.js';

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const emptySettings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const settingsAck = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);
// HEADERS (END_STREAM | END_HEADERS) on stream 1: :method GET, :scheme http, :path /, :authority via literal-free static indexes.
const requestHeaders = Buffer.from([0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84]);
// HEADERS (END_STREAM | END_HEADERS) on stream 1: :status 404 (static index 13).
const responseHeaders = Buffer.from([0, 0, 1, 1, 5, 0, 0, 0, 1, 0x8d]);

function observe(hint?: 'tcp'): { observer: TrafficObserver; exchanges: HttpExchange[] } {
  const exchanges: HttpExchange[] = [];
  return { observer: new TrafficObserver({ ...(hint ? { hint } : {}), onExchange: (e) => exchanges.push(e) }), exchanges };
}

describe('TrafficObserver', () => {
  it('counts HTTP/2 when the server’s SETTINGS pass before the client’s preface (a race the proxy cannot order)', () => {
    const { observer, exchanges } = observe();
    observer.server(emptySettings);
    observer.client(Buffer.concat([preface, emptySettings, settingsAck, requestHeaders]));
    observer.server(Buffer.concat([settingsAck, responseHeaders]));
    assert.equal(observer.protocol, 'http2');
    assert.deepEqual(exchanges.map((e) => [e.method, e.path, e.status]), [['GET', '/', 404]]);
  });

  it('counts HTTP/1 split across chunks, and treats a long request line as HTTP still', () => {
    const { observer, exchanges } = observe();
    const path = `/${'a'.repeat(300)}`;
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
    observer.client(request.subarray(0, 10));
    observer.client(request.subarray(10));
    observer.server(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    assert.equal(observer.protocol, 'http1');
    assert.deepEqual(exchanges.map((e) => [e.path, e.status]), [[path, 200]]);
  });

  it('leaves a server-speaks-first protocol opaque, even when the client then sends something HTTP-like', () => {
    const { observer, exchanges } = observe();
    observer.server(Buffer.from('220 smtp ready\r\n'));
    observer.client(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    observer.server(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
    assert.equal(observer.protocol, 'tcp');
    assert.equal(exchanges.length, 0);
  });

  it('gives up on a server that talks alone for long, and observes nothing with the tcp hint', () => {
    const chatty = observe();
    chatty.observer.server(Buffer.alloc(9000, 0x41));
    assert.equal(chatty.observer.protocol, 'tcp');
    const hinted = observe('tcp');
    hinted.observer.client(preface);
    assert.equal(hinted.observer.protocol, 'tcp');
    assert.equal(hinted.exchanges.length, 0);
  });
});
