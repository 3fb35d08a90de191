import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GiveUp, parseRequestLine, parseStatusLine, readHeaderLine, type MessageHead } from './http1-head.js';

// The grammar as regular expressions (what the in-place scanners replaced): each case must agree with them.
const requestLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.\d$/;
const statusLine = /^HTTP\/1\.\d ([1-9]\d\d)(?: |$)/;
const contentLength = /^[ \t]*(\d{1,15})[ \t]*$/;

/** Parses `line` in the middle of a longer text, as the reader does. */
function inPlace<T>(parse: (text: string, start: number, end: number) => T, line: string): T | 'gave up' {
  const text = `xx${line}\r\nrest`;
  try {
    return parse(text, 2, 2 + line.length);
  } catch (error) {
    if (error instanceof GiveUp) return 'gave up';
    throw error;
  }
}

const emptyHead = (): MessageHead => ({ method: '', target: '', status: 0, host: undefined, contentLength: undefined, coding: 'none', upgrade: false });

describe('HTTP/1 heads', () => {
  it('reads request lines as the grammar does', () => {
    const lines = [
      'GET / HTTP/1.1',
      'POST /echo?x=1 HTTP/1.0',
      'CONNECT 10.0.0.1:443 HTTP/1.1',
      'M-SEARCH * HTTP/1.1',
      'GET  / HTTP/1.1',
      'GET / HTTP/1.1 ',
      'GET /\t HTTP/1.1',
      'GET /a\u00a0b HTTP/1.1',
      'GET / HTTP/2.0',
      'GET / HTTP/1.x',
      'GET / HTTP/1.11',
      'GE(T / HTTP/1.1',
      ' GET / HTTP/1.1',
      'GET HTTP/1.1',
      'GET',
      '',
      'GET /é HTTP/1.1',
    ];
    for (const line of lines) {
      const match = requestLine.exec(line);
      const expected = match ? { method: match[1], target: match[2] } : 'gave up';
      const head = inPlace(parseRequestLine, line);
      assert.deepEqual(head === 'gave up' ? head : { method: head.method, target: head.target }, expected, JSON.stringify(line));
    }
  });

  it('reads status lines as the grammar does', () => {
    const lines = ['HTTP/1.1 200 OK', 'HTTP/1.0 404', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 099 x', 'HTTP/1.1 2000', 'HTTP/1.1 200OK', 'HTTP/1.1  200', 'HTTP/2 200', 'HTTP/1.1 20', 'http/1.1 200', 'HTTP/1.1 999 '];
    for (const line of lines) {
      const code = statusLine.exec(line)?.[1];
      const head = inPlace(parseStatusLine, line);
      assert.deepEqual(head === 'gave up' ? head : head.status, code === undefined ? 'gave up' : Number(code), JSON.stringify(line));
    }
  });

  it('reads Content-Length as the grammar does, lists of one value included', () => {
    const values = ['1024', ' 7 ', '\t0\t', '', ' ', '12a', '-1', '1234567890123456', '123456789012345', '5, 5', '5,6', '5,'];
    for (const value of values) {
      const single = contentLength.exec(value)?.[1];
      const list = value.split(',').map((part) => part.trim());
      const expected = single !== undefined ? Number(single) : /^\d{1,15}$/.test(list[0] ?? '') && list.every((part) => part === list[0]) ? Number(list[0]) : 'gave up';
      const read = inPlace((text, start, end) => {
        const head = emptyHead();
        readHeaderLine(head, text, start, end);
        return head.contentLength;
      }, `Content-Length:${value}`);
      assert.equal(read, expected, JSON.stringify(value));
    }
  });
});
