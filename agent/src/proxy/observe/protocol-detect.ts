import type { Socket } from 'node:net';

/** What the first bytes a client sends say about the protocol it speaks. */
export type DetectedProtocol = 'http1' | 'http2' | 'tls' | 'tcp';

/** A port's declared application protocol, when the mesh knows it. */
export type ProtocolHint = 'http' | 'http2' | 'grpc' | 'tcp';

export interface SniffOptions {
  /**
   * How long to wait for the client to say enough. Server-speaks-first protocols (SMTP,
   * MySQL, ...) send nothing from the client, so this bounds the delay they pay.
   */
  timeoutMs: number;
  /**
   * Only 'tcp' changes behaviour (decides at once, reads nothing): the bytes are a better
   * witness than a declaration, so the other hints never override what was sent.
   */
  hint?: ProtocolHint;
  /** Stop reading and say 'tcp' once this many bytes are still undecided. Default 8 KiB. */
  maxBytes?: number;
}

export interface SniffResult {
  protocol: DetectedProtocol;
  /** Bytes taken off the socket while deciding; the caller must forward them first. */
  prefix: Buffer;
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HTTP1_VERSION = Buffer.from(' HTTP/1.', 'latin1');
const HTTP1_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'].map((method) =>
  Buffer.from(`${method} `, 'latin1'),
);
const TLS_HANDSHAKE = 0x16;
const TLS_CLIENT_HELLO = 0x01;
/** A TLS record carries at most 2^14 bytes of plaintext plus 2048 of expansion (RFC 8446 §5.2). */
const TLS_MAX_RECORD = 16384 + 2048;
const SP = 0x20;
const DEFAULT_MAX_BYTES = 8192;

/** 'need-more' while the bytes so far could still become one of the protocols. */
export type ProtocolVerdict = DetectedProtocol | 'need-more';

/**
 * Names the protocol from a client's first bytes. 'need-more' only while `prefix` is a
 * proper prefix of something that could still match; anything else that matches nothing
 * is 'tcp', so opaque traffic is never held back waiting for bytes that will not come.
 */
export function detectProtocol(prefix: Buffer): ProtocolVerdict {
  if (prefix.length === 0) return 'need-more';
  const first = prefix[0];
  if (first === TLS_HANDSHAKE) return detectTls(prefix);
  if (first === 0x50 /* P */) {
    const compared = Math.min(prefix.length, HTTP2_PREFACE.length);
    if (prefix.compare(HTTP2_PREFACE, 0, compared, 0, compared) === 0) {
      return prefix.length >= HTTP2_PREFACE.length ? 'http2' : 'need-more';
    }
    // POST, PUT and PATCH share the P; fall through to HTTP/1.x.
  }
  return detectHttp1(prefix);
}

function detectTls(prefix: Buffer): ProtocolVerdict {
  // ContentType 22, ProtocolVersion 3.x (record versions 3.0-3.4 are seen in the wild).
  const major = prefix[1];
  if (major !== undefined && major !== 0x03) return 'tcp';
  const minor = prefix[2];
  if (minor !== undefined && minor > 0x04) return 'tcp';
  if (prefix.length < 5) return 'need-more';
  const length = prefix.readUInt16BE(3);
  if (length === 0 || length > TLS_MAX_RECORD) return 'tcp';
  const handshakeType = prefix[5];
  if (handshakeType === undefined) return 'need-more';
  return handshakeType === TLS_CLIENT_HELLO ? 'tls' : 'tcp';
}

function detectHttp1(prefix: Buffer): ProtocolVerdict {
  let method: Buffer | undefined;
  let partial = false;
  for (const candidate of HTTP1_METHODS) {
    const compared = Math.min(prefix.length, candidate.length);
    if (prefix.compare(candidate, 0, compared, 0, compared) !== 0) continue;
    if (prefix.length >= candidate.length) {
      method = candidate;
      break;
    }
    partial = true;
  }
  if (method === undefined) return partial ? 'need-more' : 'tcp';

  // request-target: one or more visible characters, then " HTTP/1.".
  let index = method.length;
  while (index < prefix.length && isVisible(prefix[index])) index++;
  if (index === method.length) return index < prefix.length ? 'tcp' : 'need-more';
  if (index === prefix.length) return 'need-more';
  const compared = Math.min(prefix.length - index, HTTP1_VERSION.length);
  if (prefix.compare(HTTP1_VERSION, 0, compared, index, index + compared) !== 0) return 'tcp';
  return compared === HTTP1_VERSION.length ? 'http1' : 'need-more';
}

function isVisible(byte: number | undefined): boolean {
  return byte !== undefined && byte > SP && byte < 0x7f;
}

/**
 * Reads a paused client socket until its first bytes name the protocol. Never waits longer
 * than `timeoutMs`; an end or error while reading is 'tcp' with whatever arrived. Leaves the
 * socket paused with none of its own listeners on it. If the client ended while being read,
 * `socket.readableEnded` is true (its 'end' has been emitted already; `pipe` copes).
 */
export function sniffProtocol(socket: Socket, options: SniffOptions): Promise<SniffResult> {
  if (options.hint === 'tcp' || socket.readableEnded || socket.destroyed) {
    return Promise.resolve({ protocol: 'tcp', prefix: Buffer.alloc(0) });
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = (protocol: DetectedProtocol): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      resolve({ protocol, prefix: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, length) });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      const verdict = detectProtocol(chunks.length === 1 ? chunk : Buffer.concat(chunks, length));
      if (verdict !== 'need-more') finish(verdict);
      else if (length >= maxBytes) finish('tcp');
    };
    const onEnd = (): void => finish('tcp');
    const timer = setTimeout(onEnd, options.timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.resume();
  });
}
