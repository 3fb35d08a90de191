/**
 * The heads of HTTP/1.x messages as the observer reads them: start lines and the header
 * fields that decide framing, scanned in place in the head's text (one latin1 string per
 * head) without a string or a match array per line.
 */

const SP = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const isDigit = (code: number): boolean => code >= DIGIT_0 && code <= DIGIT_9;
/** What `\s` matches in a latin1 string: tab to CR, space and NBSP. */
const isSpace = (code: number): boolean => code === SP || (code >= 0x09 && code <= 0x0d) || code === 0xa0;

/** RFC 9110 §5.6.2 tchar by character code: header names are checked as they are scanned. */
const TOKEN = new Uint8Array(128);
for (let code = 0x21; code < 0x7f; code++) TOKEN[code] = '"(),/:;<=>?@[\\]{}'.includes(String.fromCharCode(code)) ? 0 : 1;

/** Thrown while reading, to unwind to the observer's `client`/`server` and give up on the connection. */
export class GiveUp extends Error {}

/** The parts of a message head the observer needs (method and target of requests, status of responses). */
export interface MessageHead {
  method: string;
  target: string;
  status: number;
  host: string | undefined;
  contentLength: number | undefined;
  /** Transfer-Encoding: absent, ending in chunked, or ending in anything else (RFC 9112 §6.3). */
  coding: 'none' | 'chunked' | 'other';
  upgrade: boolean;
}

/** A head with nothing read yet: a literal per call, so every head has the same shape. */
function newHead(method: string, target: string, status: number): MessageHead {
  return { method, target, status, host: undefined, contentLength: undefined, coding: 'none', upgrade: false };
}

/** `method SP target SP HTTP/1.x` (RFC 9112 §3), read in place: the method a token, the target without spaces. */
export function parseRequestLine(text: string, start: number, end: number): MessageHead {
  let at = start;
  while (at < end && TOKEN[text.charCodeAt(at)] === 1) at++;
  if (at === start || text.charCodeAt(at) !== SP) throw new GiveUp();
  const methodEnd = at++;
  const targetStart = at;
  while (at < end && !isSpace(text.charCodeAt(at))) at++;
  if (at === targetStart || end - at !== ' HTTP/1.x'.length || !text.startsWith(' HTTP/1.', at) || !isDigit(text.charCodeAt(end - 1))) throw new GiveUp();
  return newHead(text.slice(start, methodEnd), text.slice(targetStart, at), 0);
}

/** `HTTP/1.x SP status [SP reason]` (RFC 9112 §4), the status 100–999. */
export function parseStatusLine(text: string, start: number, end: number): MessageHead {
  const code = start + 'HTTP/1.x '.length;
  if (
    end - start < 'HTTP/1.x nnn'.length ||
    !text.startsWith('HTTP/1.', start) ||
    !isDigit(text.charCodeAt(start + 7)) ||
    text.charCodeAt(start + 8) !== SP ||
    !isDigit(text.charCodeAt(code)) ||
    text.charCodeAt(code) === DIGIT_0 ||
    !isDigit(text.charCodeAt(code + 1)) ||
    !isDigit(text.charCodeAt(code + 2)) ||
    (end > code + 3 && text.charCodeAt(code + 3) !== SP)
  ) {
    throw new GiveUp();
  }
  return newHead('', '', (text.charCodeAt(code) - DIGIT_0) * 100 + (text.charCodeAt(code + 1) - DIGIT_0) * 10 + (text.charCodeAt(code + 2) - DIGIT_0));
}

/** Content-Length's value `text[start..end)`: digits between optional blanks, read in place; a list goes the slow way. */
function parseContentLength(text: string, start: number, end: number): number {
  let from = start;
  let to = end;
  while (from < to && (text.charCodeAt(from) === SP || text.charCodeAt(from) === 0x09)) from++;
  while (to > from && (text.charCodeAt(to - 1) === SP || text.charCodeAt(to - 1) === 0x09)) to--;
  let length = 0;
  let at = from;
  // 15 digits stay exact in a double.
  while (at < to && at - from < 15 && isDigit(text.charCodeAt(at))) length = length * 10 + text.charCodeAt(at++) - DIGIT_0;
  if (at === to && at > from) return length;
  return parseContentLengthList(text.slice(start, end));
}

function parseContentLengthList(value: string): number {
  // A list of identical values is tolerated (RFC 9110 §8.6); anything else is not a length.
  const [first = '', ...rest] = value.split(',').map((part) => part.trim());
  if (!/^\d{1,15}$/.test(first) || rest.some((part) => part !== first)) throw new GiveUp();
  return Number(first);
}

/** Notes the header fields that decide framing; any other line need only be well formed. */
export function readHeaderLine(head: MessageHead, text: string, start: number, end: number): void {
  const first = text.charCodeAt(start);
  if (first === 0x20 || first === 0x09) return; // obsolete line folding: a continuation of a header we skip
  let colon = start;
  while (colon < end && TOKEN[text.charCodeAt(colon)] === 1) colon++;
  if (colon === start || text.charCodeAt(colon) !== 0x3a || colon >= end) throw new GiveUp();
  if (nameIs(text, start, colon, 'content-length')) {
    const length = parseContentLength(text, colon + 1, end);
    if (head.contentLength !== undefined && head.contentLength !== length) throw new GiveUp();
    head.contentLength = length;
  } else if (nameIs(text, start, colon, 'transfer-encoding')) {
    head.coding = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(text.slice(colon + 1, end)) ? 'chunked' : 'other';
  } else if (nameIs(text, start, colon, 'connection')) {
    if (/(?:^|,)[ \t]*upgrade[ \t]*(?:,|$)/i.test(text.slice(colon + 1, end))) head.upgrade = true;
  } else if (nameIs(text, start, colon, 'host')) {
    head.host = text.slice(colon + 1, end).trim();
  }
}

/** Whether the name in `text[start..colon)` is `lowercase`, ignoring ASCII case, without making a string. */
function nameIs(text: string, start: number, colon: number, lowercase: string): boolean {
  if (colon - start !== lowercase.length) return false;
  // Setting 0x20 lowercases letters and leaves '-' alone; the name is a token already.
  for (let index = 0; index < lowercase.length; index++) {
    if ((text.charCodeAt(start + index) | 0x20) !== lowercase.charCodeAt(index)) return false;
  }
  return true;
}
