import type { HttpExchange, HttpObserverOptions } from './http-exchange.js';
import { GiveUp, parseRequestLine, parseStatusLine, readHeaderLine, type MessageHead } from './http1-head.js';

/** Heads and trailer sections longer than this are abuse or garbage, not HTTP worth watching. */
const MAX_SECTION_BYTES = 64 * 1024;
/** Client bytes kept while a CONNECT or upgrade waits for its answer, in case it is refused. */
const MAX_HELD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const LF = 0x0a;
const CR = 0x0d;

/** Where a reader is in its stream: Held keeps bytes unread, Stopped drops them. */
const enum ReadState { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailers, UntilClose, Held, Stopped }

/** How a message's body is delimited, as the head and its request decide: a length, or how else. */
type Framing = number | 'chunked' | 'until-close' | 'interim';

interface MessageEvents {
  /**
   * Parses the start line `text[start..end)` (no CR or LF) into a new head; `after` is where
   * the line ends (past its LF) in the chunk being read.
   */
  startLine(text: string, start: number, end: number, after: number): MessageHead;
  head(head: MessageHead, startMs: number, now: number): Framing;
  end(now: number): void;
}

/**
 * Delimits HTTP/1.x messages in one direction, skipping bodies by counting. Only heads and chunk-size
 * lines are decoded (trailers are only delimited); a line split across chunks is all that is copied.
 */
class MessageReader {
  readonly #events: MessageEvents;
  #state = ReadState.Head;
  #remaining = 0;
  /** Pieces of a line split across chunks, joined once it is whole. */
  #partial: Buffer[] = [];
  #sectionBytes = 0;
  #startMs = 0;
  #head: MessageHead | undefined;
  #held: { chunk: Buffer; now: number }[] = [];
  #heldBytes = 0;
  /** Where the line being read ends in the chunk being read (past its LF). */
  #lineEnd = 0;

  constructor(events: MessageEvents) {
    this.#events = events;
  }

  feed(chunk: Buffer, now: number): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.#state) {
        case ReadState.Body:
        case ReadState.ChunkData: {
          const taken = Math.min(this.#remaining, chunk.length - offset);
          offset += taken;
          this.#remaining -= taken;
          if (this.#remaining > 0) break;
          if (this.#state === ReadState.Body) this.#endMessage(now);
          else this.#beginSection(ReadState.ChunkEnd);
          break;
        }
        case ReadState.Held:
          // Past the limit nothing is kept, and release() gives up.
          this.#heldBytes += chunk.length - offset;
          if (this.#heldBytes > MAX_HELD_BYTES) this.#held = [];
          else this.#held.push({ chunk: offset === 0 ? chunk : chunk.subarray(offset), now });
          return;
        case ReadState.UntilClose:
        case ReadState.Stopped:
          return;
        default:
          offset = this.#state === ReadState.Head && this.#sectionBytes === 0 ? this.#readHead(chunk, offset, now) : this.#readLine(chunk, offset, now);
      }
    }
  }

  /** Between messages: nothing of the next one has arrived. */
  get atRest(): boolean {
    return this.#state === ReadState.Head && this.#sectionBytes === 0 && this.#partial.length === 0;
  }

  /** Stops reading for good: the rest of the stream is not HTTP/1. */
  stop(): void {
    this.#state = ReadState.Stopped;
    this.#held = [];
  }

  /** Keeps (but does not read) what follows, until `release` or `stop`. */
  hold(): void {
    this.#state = ReadState.Held;
  }

  /** Reads again, starting with what was held. */
  release(): void {
    if (this.#state !== ReadState.Held) return;
    if (this.#heldBytes > MAX_HELD_BYTES) throw new GiveUp();
    const held = this.#held;
    [this.#state, this.#held, this.#heldBytes] = [ReadState.Head, [], 0];
    for (const { chunk, now } of held) this.feed(chunk, now);
  }

  /**
   * The common case, a whole head in one chunk, costs one native search and one decode;
   * anything else (a split head, leading empty lines) goes line by line.
   */
  #readHead(chunk: Buffer, offset: number, now: number): number {
    const first = chunk[offset];
    const end = first === CR || first === LF ? -1 : chunk.indexOf(HEAD_END, offset);
    if (end === -1 || end - offset > MAX_SECTION_BYTES) return this.#readLine(chunk, offset, now);
    this.#startMs = now;
    // Lines are read in place: a flat string scans as fast as the bytes, without per-line copies.
    const text = chunk.toString('latin1', offset, end + HEAD_END.length);
    let start = 0;
    let blank = false;
    while (!blank) {
      // Stops at the first empty line: the CRLFCRLF found, or an earlier bare-LF one.
      const newline = text.indexOf('\n', start);
      const stop = newline > start && text.charCodeAt(newline - 1) === CR ? newline - 1 : newline;
      blank = stop === start;
      this.#lineEnd = offset + newline + 1;
      this.#headLine(text, start, stop, now);
      start = newline + 1;
    }
    return offset + start;
  }

  /** Consumes one line (or keeps a partial one); returns the offset after it. */
  #readLine(chunk: Buffer, offset: number, now: number): number {
    if (this.#state === ReadState.Head && this.#sectionBytes === 0 && this.#partial.length === 0) this.#startMs = now;
    const newline = chunk.indexOf(LF, offset);
    const stop = newline === -1 ? chunk.length : newline;
    this.#sectionBytes += stop - offset + 1;
    if (this.#sectionBytes > MAX_SECTION_BYTES) throw new GiveUp();
    if (newline === -1) {
      this.#partial.push(chunk.subarray(offset));
      return chunk.length;
    }
    let text = chunk.toString('latin1', offset, newline);
    if (this.#partial.length > 0) text = Buffer.concat(this.#partial.splice(0)).toString('latin1') + text;
    this.#lineEnd = newline + 1;
    this.#line(text.endsWith('\r') ? text.slice(0, -1) : text, now);
    return newline + 1;
  }

  #line(text: string, now: number): void {
    switch (this.#state) {
      case ReadState.Head:
        return this.#headLine(text, 0, text.length, now);
      case ReadState.ChunkSize: {
        // Hex digits, then perhaps ';' and chunk extensions; 13 digits is 2^52, the most that stays exact.
        const size = /^([0-9a-fA-F]{1,13})(?:[ \t;]|$)/.exec(text)?.[1];
        if (size === undefined) throw new GiveUp();
        this.#remaining = parseInt(size, 16);
        return this.#beginSection(this.#remaining === 0 ? ReadState.Trailers : ReadState.ChunkData);
      }
      case ReadState.ChunkEnd:
        if (text !== '') throw new GiveUp();
        return this.#beginSection(ReadState.ChunkSize);
      case ReadState.Trailers:
        if (text === '') this.#endMessage(now);
        return;
      default:
        throw new GiveUp();
    }
  }

  #headLine(text: string, start: number, end: number, now: number): void {
    if (end > start) {
      if (this.#head) readHeaderLine(this.#head, text, start, end);
      else this.#head = this.#events.startLine(text, start, end, this.#lineEnd);
    } else if (this.#head) {
      this.#endHead(this.#head, now);
    } else {
      this.#sectionBytes = 0; // RFC 9112 §2.2: empty lines before a request line are ignored
    }
  }

  #endHead(head: MessageHead, now: number): void {
    const framing = this.#events.head(head, this.#startMs, now);
    if (this.#state !== ReadState.Head) return; // the observer stopped or held this reader
    if (framing === 'interim') {
      this.#head = undefined;
      this.#beginSection(ReadState.Head);
    } else if (framing === 'chunked') {
      this.#beginSection(ReadState.ChunkSize);
    } else if (framing === 'until-close') {
      this.#state = ReadState.UntilClose;
    } else if (framing === 0) {
      this.#endMessage(now);
    } else {
      [this.#state, this.#remaining] = [ReadState.Body, framing];
    }
  }

  #beginSection(state: ReadState): void {
    this.#state = state;
    this.#sectionBytes = 0;
  }

  #endMessage(now: number): void {
    this.#head = undefined;
    this.#beginSection(ReadState.Head);
    this.#events.end(now);
  }
}

/** A request waiting for (the end of) its response. */
interface PendingRequest {
  method: string;
  path: string;
  authority: string | undefined;
  startMs: number;
  /** CONNECT or an upgrade: the client's next bytes may not be HTTP/1, depending on the answer. */
  holdsClient: boolean;
}

/**
 * Watches copies of both directions of an HTTP/1.x connection and reports one exchange per
 * request/response pair. It never touches the bytes themselves and never throws on what it
 * is fed: on anything it cannot follow it sets `failed` and ignores the rest.
 */
export class Http1Observer {
  readonly #onExchange: (exchange: HttpExchange) => void;
  readonly #now: () => number;
  readonly #pending: PendingRequest[] = [];
  readonly #requests: MessageReader;
  readonly #responses: MessageReader;
  #state: 'reading' | 'opaque' | 'failed' | 'closed' = 'reading';
  /** The final status of the response being read, from its head to its end. */
  #status: number | undefined;
  #onRest: (() => void) | undefined;
  #closeNext = false;
  #insertAt: number | undefined;
  #toldClose = false;

  constructor(options: HttpObserverOptions) {
    this.#onExchange = options.onExchange;
    this.#now = options.now ?? (() => performance.now());
    this.#requests = new MessageReader({ startLine: parseRequestLine, head: (head, startMs) => this.#requestHead(head, startMs), end: () => this.#requestEnd() });
    this.#responses = new MessageReader({
      startLine: (text, start, end, after) => this.#statusLine(text, start, end, after),
      head: (head, _startMs, now) => this.#responseHead(head, now),
      end: (now) => this.#responseEnd(now),
    });
  }

  /** True once the observer gave up on this connection. */
  get failed(): boolean {
    return this.#state === 'failed';
  }

  /**
   * Whether the connection is between exchanges: every request answered, nothing of a next
   * one seen. Closing it now loses nothing; a keep-alive client opens a new connection.
   */
  get atRest(): boolean {
    return this.#state === 'reading' && this.#pending.length === 0 && this.#requests.atRest && this.#responses.atRest;
  }

  /** Called once, the next time the connection comes to rest (see atRest). */
  onRest(callback: (() => void) | undefined): void {
    this.#onRest = callback;
  }

  /**
   * Asks for the next final response to tell the client `Connection: close`: takeInsertion()
   * then says where in the server chunk being read the header goes. A client told so never
   * sends another request on the connection, so closing it after that response cuts nothing.
   */
  closeAfterNextResponse(): void {
    this.#closeNext = true;
  }

  /** Where `Connection: close\r\n` goes in the server chunk just read (past its status line), once. */
  takeInsertion(): number | undefined {
    const at = this.#insertAt;
    this.#insertAt = undefined;
    return at;
  }

  /** Whether a response has told the client `Connection: close`. */
  get toldClose(): boolean {
    return this.#toldClose;
  }

  /** Bytes the client sent. */
  client(chunk: Buffer): void {
    this.#read(this.#requests, chunk);
  }

  /** Bytes the server sent. */
  server(chunk: Buffer): void {
    this.#read(this.#responses, chunk);
  }

  /** The connection closed: a body delimited by close ends, and unanswered requests are reported. */
  close(): void {
    if (this.#state !== 'reading') return;
    this.#state = 'closed';
    const now = this.#now();
    // The first request may have its response head (and so a status), its body cut short or delimited by this close.
    for (const [index, request] of this.#pending.splice(0).entries()) this.#report(request, index === 0 ? this.#status : undefined, now);
  }

  #read(reader: MessageReader, chunk: Buffer): void {
    if (this.#state !== 'reading') return;
    try {
      reader.feed(chunk, this.#now());
    } catch (error) {
      if (!(error instanceof GiveUp)) throw error;
      this.#state = 'failed';
      this.#pending.length = 0;
      this.#requests.stop();
      this.#responses.stop();
    }
  }

  #requestHead(head: MessageHead, startMs: number): Framing {
    let path = head.target;
    let authority = head.host;
    if (head.method === 'CONNECT') {
      authority = head.target;
    } else {
      // Absolute form (to a forward proxy): split the authority off the path.
      const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i.exec(head.target);
      if (absolute) {
        authority = absolute[1];
        path = absolute[2] || '/';
      }
    }
    this.#pending.push({ method: head.method, path, authority, startMs, holdsClient: head.method === 'CONNECT' || head.upgrade });
    // RFC 9112 §6.3: a request whose last coding is not chunked cannot be delimited.
    if (head.coding === 'other') throw new GiveUp();
    if (head.coding === 'chunked') return 'chunked';
    return head.method === 'CONNECT' ? 0 : (head.contentLength ?? 0);
  }

  #requestEnd(): void {
    const last = this.#pending[this.#pending.length - 1];
    // What follows a CONNECT or an upgrade is a tunnel if the server agrees: wait for its answer.
    if (last?.holdsClient) this.#requests.hold();
  }

  #statusLine(text: string, start: number, end: number, after: number): MessageHead {
    const head = parseStatusLine(text, start, end);
    // Not an interim response, nor a switch of protocols: those are not the last word.
    if (this.#closeNext && head.status >= 200 && head.status !== 101 && this.#pending[0]?.method !== 'CONNECT') {
      this.#closeNext = false;
      this.#insertAt = after;
      this.#toldClose = true;
    }
    return head;
  }

  #responseHead(head: MessageHead, now: number): Framing {
    const request = this.#pending[0];
    if (!request) throw new GiveUp(); // a response nobody asked for: out of step
    const status = head.status;
    if (status === 101 || (request.method === 'CONNECT' && status >= 200 && status < 300)) {
      this.#pending.shift();
      this.#report(request, status, now);
      this.#state = 'opaque';
      this.#requests.stop();
      this.#responses.stop();
      return 'until-close';
    }
    if (status < 200) return 'interim';
    this.#status = status;
    if (request.method === 'HEAD' || status === 204 || status === 304) return 0;
    if (head.coding !== 'none') return head.coding === 'chunked' ? 'chunked' : 'until-close';
    return head.contentLength ?? 'until-close';
  }

  #responseEnd(now: number): void {
    const request = this.#pending.shift();
    if (!request) throw new GiveUp();
    this.#report(request, this.#status, now);
    this.#status = undefined;
    // Refused CONNECT or declined upgrade: the client is still speaking HTTP/1.
    if (request.holdsClient) this.#requests.release();
    if (this.#onRest && this.atRest) {
      const callback = this.#onRest;
      this.#onRest = undefined;
      // After the reader has moved past this response's last byte.
      queueMicrotask(callback);
    }
  }

  #report(request: PendingRequest, status: number | undefined, now: number): void {
    const durationSeconds = Math.max(0, now - request.startMs) / 1000;
    const exchange: HttpExchange = { protocol: 'http1', method: request.method, path: request.path, durationSeconds };
    if (request.authority !== undefined) exchange.authority = request.authority;
    if (status !== undefined) exchange.status = status;
    this.#onExchange(exchange);
  }
}
