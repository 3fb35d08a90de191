import { isWeftError } from '@weft/api';
import { HpackDecoder, type HeaderField } from './hpack-decoder.js';
import type { HttpExchange, HttpObserverOptions } from './http-exchange.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
/** A header block (HEADERS plus CONTINUATIONs) larger than this is not worth the memory. */
const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;
/** Settings are 6 bytes each and there are a handful of kinds; more is garbage. */
const MAX_SETTINGS_BYTES = 6 * 64;
/** Streams open at once; far above any server's SETTINGS_MAX_CONCURRENT_STREAMS. */
const MAX_OPEN_STREAMS = 10_000;

/** Thrown inside the observer only, to unwind to `client`/`server` and give up on the connection. */
class GiveUp extends Error {}

/** A frame whose header is read; `payload` holds the leading bytes its handler needs. */
interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  startMs: number;
}

/**
 * Delimits HTTP/2 frames in one direction. Only the payload bytes a frame's handler needs
 * are kept (none of DATA's); a payload that lies within one chunk is viewed, not copied.
 */
class FrameReader {
  readonly #onFrame: (frame: Frame, now: number) => void;
  #prefaceLeft: number;
  /** RFC 9113 §3.4: each side's preface ends with (or is) a SETTINGS frame; checked on its header, so garbage fails fast. */
  #firstFrame = true;
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  #frameStartMs = 0;
  #frame: Frame | undefined;
  /** Payload bytes still to come, how many of the payload's are kept, and how many are so far. */
  #remaining = 0;
  #keep = 0;
  #collected = 0;

  constructor(options: { preface: boolean; onFrame: (frame: Frame, now: number) => void }) {
    this.#prefaceLeft = options.preface ? PREFACE.length : 0;
    this.#onFrame = options.onFrame;
  }

  feed(chunk: Buffer, now: number): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#prefaceLeft > 0) {
        const matched = PREFACE.length - this.#prefaceLeft;
        const count = Math.min(this.#prefaceLeft, chunk.length - offset);
        if (chunk.compare(PREFACE, matched, matched + count, offset, offset + count) !== 0) throw new GiveUp();
        this.#prefaceLeft -= count;
        offset += count;
      } else if (this.#frame === undefined) {
        offset = this.#readHeader(chunk, offset, now);
      } else {
        offset = this.#readPayload(this.#frame, chunk, offset, now);
      }
    }
  }

  #readHeader(chunk: Buffer, offset: number, now: number): number {
    if (this.#headerFilled === 0) this.#frameStartMs = now;
    let header = chunk;
    let at = offset;
    if (this.#headerFilled === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
      offset += FRAME_HEADER_BYTES;
    } else {
      const count = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, chunk.length - offset);
      chunk.copy(this.#header, this.#headerFilled, offset, offset + count);
      this.#headerFilled += count;
      offset += count;
      if (this.#headerFilled < FRAME_HEADER_BYTES) return offset;
      header = this.#header;
      at = 0;
      this.#headerFilled = 0;
    }
    const length = header.readUIntBE(at, 3);
    const type = header[at + 3] ?? 0;
    if (this.#firstFrame && type !== SETTINGS) throw new GiveUp();
    this.#firstFrame = false;
    const keep = keptBytes(type, length);
    const frame: Frame = {
      type,
      flags: header[at + 4] ?? 0,
      streamId: header.readUInt32BE(at + 5) & 0x7fffffff,
      payload: EMPTY,
      startMs: this.#frameStartMs,
    };
    this.#remaining = length;
    this.#keep = keep;
    this.#collected = 0;
    // Kept bytes that will arrive in later chunks need a buffer of their own.
    if (keep > 0 && chunk.length - offset < keep) frame.payload = Buffer.allocUnsafe(keep);
    this.#frame = frame;
    if (length === 0) this.#finish(frame, now);
    return offset;
  }

  #readPayload(frame: Frame, chunk: Buffer, offset: number, now: number): number {
    const count = Math.min(this.#remaining, chunk.length - offset);
    const wanted = Math.min(this.#keep - this.#collected, count);
    if (wanted > 0) {
      if (frame.payload.length === 0) frame.payload = chunk.subarray(offset, offset + wanted);
      else chunk.copy(frame.payload, this.#collected, offset, offset + wanted);
      this.#collected += wanted;
    }
    this.#remaining -= count;
    if (this.#remaining === 0) this.#finish(frame, now);
    return offset + count;
  }

  #finish(frame: Frame, now: number): void {
    this.#frame = undefined;
    this.#onFrame(frame, now);
  }
}

const EMPTY = Buffer.alloc(0);

/** How much of a frame's payload its handler reads (at most `length`). */
function keptBytes(type: number, length: number): number {
  switch (type) {
    case HEADERS:
    case CONTINUATION:
    case PUSH_PROMISE:
      if (length > MAX_HEADER_BLOCK_BYTES) throw new GiveUp();
      return length;
    case SETTINGS:
      if (length > MAX_SETTINGS_BYTES || length % 6 !== 0) throw new GiveUp();
      return length;
    case GOAWAY:
      return Math.min(length, 4); // the last stream id
    default:
      return 0;
  }
}

/** One direction: its frames, its HPACK state and any header block still being continued. */
interface Side {
  readonly reader: FrameReader;
  readonly decoder: HpackDecoder;
  block: { streamId: number; fragments: Buffer[]; bytes: number; endStream: boolean; push: boolean; startMs: number } | undefined;
}

/** A stream the client opened, waiting for both ends. */
interface StreamState {
  method: string;
  path: string;
  authority: string | undefined;
  startMs: number;
  status: number | undefined;
  grpcStatus: number | undefined;
  clientEnded: boolean;
  serverEnded: boolean;
}

/**
 * Watches copies of both directions of an HTTP/2 connection (prior knowledge: the client
 * starts with the preface) and reports one exchange per client-opened stream. Every header
 * block is decoded, wanted or not, since HPACK state is shared by the whole connection. It
 * never throws on what it is fed: on anything it cannot follow it sets `failed` and ignores
 * the rest.
 */
export class Http2Observer {
  readonly #onExchange: (exchange: HttpExchange) => void;
  readonly #now: () => number;
  readonly #streams = new Map<number, StreamState>();
  readonly #client: Side;
  readonly #server: Side;
  #highestClientStream = 0;
  #state: 'reading' | 'failed' | 'closed' = 'reading';

  constructor(options: HttpObserverOptions) {
    this.#onExchange = options.onExchange;
    this.#now = options.now ?? (() => performance.now());
    this.#client = this.#side(true);
    this.#server = this.#side(false);
  }

  /** True once the observer gave up on this connection. */
  get failed(): boolean {
    return this.#state === 'failed';
  }

  /** Bytes the client sent, starting with the connection preface. */
  client(chunk: Buffer): void {
    if (this.#state === 'reading') this.#guard(() => this.#client.reader.feed(chunk, this.#now()));
  }

  /** Bytes the server sent. */
  server(chunk: Buffer): void {
    if (this.#state === 'reading') this.#guard(() => this.#server.reader.feed(chunk, this.#now()));
  }

  /** The connection closed: streams still open are reported as they stand. */
  close(): void {
    if (this.#state !== 'reading') return;
    this.#state = 'closed';
    const now = this.#now();
    for (const stream of this.#streams.values()) this.#report(stream, now);
    this.#streams.clear();
  }

  #side(fromClient: boolean): Side {
    const reader = new FrameReader({ preface: fromClient, onFrame: (frame, now) => this.#frame(fromClient, frame, now) });
    return { reader, decoder: new HpackDecoder(), block: undefined };
  }

  #guard(read: () => void): void {
    try {
      read();
    } catch (error) {
      if (!(error instanceof GiveUp) && !isWeftError(error, 'WEFT_PROXY_HPACK')) throw error;
      this.#state = 'failed';
      this.#streams.clear();
    }
  }

  #frame(fromClient: boolean, frame: Frame, now: number): void {
    const side = fromClient ? this.#client : this.#server;
    // RFC 9113 §6.10: a header block continues with nothing but CONTINUATION on its stream.
    if (side.block && (frame.type !== CONTINUATION || frame.streamId !== side.block.streamId)) throw new GiveUp();
    switch (frame.type) {
      case SETTINGS:
        return this.#settings(fromClient, frame);
      case HEADERS:
      case PUSH_PROMISE:
        return this.#beginBlock(fromClient, side, frame, now);
      case CONTINUATION: {
        const block = side.block;
        if (!block) throw new GiveUp();
        block.fragments.push(frame.payload);
        block.bytes += frame.payload.length;
        if (block.bytes > MAX_HEADER_BLOCK_BYTES) throw new GiveUp();
        if (frame.flags & END_HEADERS) this.#endBlock(fromClient, side, now);
        return;
      }
      case DATA:
        if (frame.flags & END_STREAM) this.#endStream(fromClient, frame.streamId, now);
        return;
      case RST_STREAM:
        return this.#complete(frame.streamId, now);
      case GOAWAY:
        if (!fromClient && frame.payload.length === 4) this.#goAway(frame.payload.readUInt32BE(0) & 0x7fffffff);
        return;
      default:
        return; // PRIORITY, PING, WINDOW_UPDATE and unknown types carry nothing we report
    }
  }

  #settings(fromClient: boolean, frame: Frame): void {
    if (frame.streamId !== 0) throw new GiveUp();
    for (let offset = 0; offset + 6 <= frame.payload.length; offset += 6) {
      if (frame.payload.readUInt16BE(offset) !== SETTINGS_HEADER_TABLE_SIZE) continue;
      // The sender says how big a table it will decode with: that bounds the other side's encoder.
      (fromClient ? this.#server : this.#client).decoder.setTableSizeLimit(frame.payload.readUInt32BE(offset + 2));
    }
  }

  #beginBlock(fromClient: boolean, side: Side, frame: Frame, now: number): void {
    if (frame.streamId === 0) throw new GiveUp();
    const payload = frame.payload;
    let start = 0;
    let end = payload.length;
    if (frame.flags & PADDED) {
      start = 1;
      end -= payload[0] ?? 0;
    }
    if (frame.type === PUSH_PROMISE) start += 4; // the promised stream: pushes are not reported
    else if (frame.flags & PRIORITY) start += 5;
    if (end < start) throw new GiveUp();
    const fragment = payload.subarray(start, end);
    side.block = {
      streamId: frame.streamId,
      fragments: [fragment],
      bytes: fragment.length,
      endStream: frame.type === HEADERS && (frame.flags & END_STREAM) !== 0,
      push: frame.type === PUSH_PROMISE,
      startMs: frame.startMs,
    };
    if (frame.flags & END_HEADERS) this.#endBlock(fromClient, side, now);
  }

  #endBlock(fromClient: boolean, side: Side, now: number): void {
    const block = side.block;
    if (!block) return;
    side.block = undefined;
    const bytes = block.fragments.length === 1 && block.fragments[0] ? block.fragments[0] : Buffer.concat(block.fragments, block.bytes);
    const fields = side.decoder.decode(bytes);
    if (block.push) return;
    if (fromClient) this.#requestHeaders(block.streamId, fields, block.startMs);
    else this.#responseHeaders(block.streamId, fields);
    if (block.endStream) this.#endStream(fromClient, block.streamId, now);
  }

  #requestHeaders(streamId: number, fields: HeaderField[], startMs: number): void {
    if (this.#streams.has(streamId)) return; // trailers: only their END_STREAM matters
    // Client streams are odd and rise (RFC 9113 §5.1.1); a lower one is a stream already reported.
    if (streamId % 2 === 0) throw new GiveUp();
    if (streamId <= this.#highestClientStream) return;
    this.#highestClientStream = streamId;
    if (this.#streams.size >= MAX_OPEN_STREAMS) throw new GiveUp();
    let method = '';
    let path: string | undefined;
    let authority: string | undefined;
    for (const [name, value] of fields) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority' || (name === 'host' && authority === undefined)) authority = value;
    }
    // CONNECT names an authority, not a path (RFC 9113 §8.5).
    const stream = { method, path: path ?? authority ?? '', authority, startMs, status: undefined, grpcStatus: undefined, clientEnded: false, serverEnded: false };
    this.#streams.set(streamId, stream);
  }

  #responseHeaders(streamId: number, fields: HeaderField[]): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return; // a pushed stream, or one already reported
    for (const [name, value] of fields) {
      if (name === ':status') {
        const status = Number(value);
        if (!/^[1-9]\d\d$/.test(value)) throw new GiveUp();
        if (status >= 200 || status === 101) stream.status = status; // 1xx are interim
      } else if (name === 'grpc-status') {
        if (/^\d{1,3}$/.test(value)) stream.grpcStatus = Number(value);
      }
    }
  }

  #endStream(fromClient: boolean, streamId: number, now: number): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    if (fromClient) stream.clientEnded = true;
    else stream.serverEnded = true;
    if (stream.clientEnded && stream.serverEnded) this.#complete(streamId, now);
  }

  #complete(streamId: number, now: number): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    this.#streams.delete(streamId);
    this.#report(stream, now);
  }

  /** Streams above the server's last one were never processed: the client retries them elsewhere. */
  #goAway(lastStreamId: number): void {
    for (const streamId of this.#streams.keys()) if (streamId > lastStreamId) this.#streams.delete(streamId);
  }

  #report(stream: StreamState, now: number): void {
    const exchange: HttpExchange = {
      protocol: 'http2',
      method: stream.method,
      path: stream.path,
      durationSeconds: Math.max(0, now - stream.startMs) / 1000,
    };
    if (stream.authority !== undefined) exchange.authority = stream.authority;
    if (stream.status !== undefined) exchange.status = stream.status;
    if (stream.grpcStatus !== undefined) exchange.grpcStatus = stream.grpcStatus;
    this.#onExchange(exchange);
  }
}
