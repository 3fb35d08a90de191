import type { AppProtocolHint } from '../../state/index.js';
import type { HttpExchange } from './http-exchange.js';
import { Http1Observer } from './http1-observer.js';
import { Http2Observer } from './http2-observer.js';
import { detectProtocol } from './protocol-detect.js';

/** What the proxy needs of an HTTP observer. */
interface Observer {
  client(chunk: Buffer): void;
  server(chunk: Buffer): void;
  close(): void;
}

/** Bytes the client may send before we give up on recognising HTTP (a long request line). */
const maxDetectBytes = 8192;

/** A draining HTTP/1 connection with no request for this long is closed as it is. */
const idleCloseMs = 1000;

const connectionClose = Buffer.from('Connection: close\r\n', 'latin1');

/**
 * Watches a spliced connection and reports the HTTP exchanges in it. The protocol is
 * decided from the client's first bytes as they pass: nothing waits for detection, so a
 * protocol where the server speaks first is never stalled. Which side's bytes the proxy
 * reads first is a race (an HTTP/2 server sends SETTINGS without waiting), so early server
 * bytes are kept until the client's decide.
 */
export class TrafficObserver {
  readonly #onExchange: (exchange: HttpExchange) => void;
  #observer: Observer | undefined;
  #state: 'detecting' | 'http' | 'opaque';
  #prefix: Buffer = Buffer.alloc(0);
  /** Server bytes seen before the client's protocol was known (an HTTP/2 server's SETTINGS). */
  #serverFirst: Buffer[] = [];
  #serverFirstBytes = 0;
  /** Chunks the client has sent: a draining connection that sends none is idle. */
  #clientChunks = 0;
  #draining = false;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: { hint?: AppProtocolHint | undefined; onExchange: (exchange: HttpExchange) => void }) {
    this.#onExchange = options.onExchange;
    this.#state = options.hint === 'tcp' ? 'opaque' : 'detecting';
  }

  /** The protocol as far as known: http1, http2, tcp, or undefined while deciding. */
  get protocol(): 'http1' | 'http2' | 'tcp' | undefined {
    if (this.#state === 'opaque') return 'tcp';
    if (this.#observer instanceof Http1Observer) return 'http1';
    if (this.#observer instanceof Http2Observer) return 'http2';
    return undefined;
  }

  /** Client bytes; never changed (undefined: write them as they are). */
  client = (chunk: Buffer): undefined => {
    this.#clientChunks++;
    if (this.#state === 'http') {
      this.#observer?.client(chunk);
      return undefined;
    }
    if (this.#state === 'opaque') return undefined;
    this.#prefix = this.#prefix.length === 0 ? chunk : Buffer.concat([this.#prefix, chunk]);
    const protocol = detectProtocol(this.#prefix);
    if (protocol === 'need-more' && this.#prefix.length < maxDetectBytes) return;
    // HTTP/1 never has the server speak first; HTTP/2 servers send SETTINGS at once.
    if (protocol === 'http2' || (protocol === 'http1' && this.#serverFirstBytes === 0)) {
      const observer = protocol === 'http1' ? new Http1Observer({ onExchange: this.#onExchange }) : new Http2Observer({ onExchange: this.#onExchange });
      this.#observer = observer;
      this.#state = 'http';
      observer.client(this.#prefix);
      for (const early of this.#serverFirst) observer.server(early);
    } else {
      this.#state = 'opaque';
    }
    this.#prefix = Buffer.alloc(0);
    this.#serverFirst = [];
  };

  /** Server bytes; returns what to write to the client instead, when a drain changes them. */
  server = (chunk: Buffer): Buffer | undefined => {
    if (this.#state === 'http') {
      this.#observer?.server(chunk);
      return this.#draining ? this.#withClose(chunk) : undefined;
    }
    if (this.#state === 'opaque') return undefined;
    // Kept until the client's first bytes decide; a server that keeps talking alone
    // (a banner protocol) is not HTTP.
    this.#serverFirst.push(chunk);
    this.#serverFirstBytes += chunk.length;
    if (this.#serverFirstBytes > maxDetectBytes) {
      this.#state = 'opaque';
      this.#serverFirst = [];
    }
    return undefined;
  };

  close(): void {
    clearInterval(this.#idleTimer);
    this.#observer?.close();
  }

  /**
   * Ends an HTTP/1 connection without cutting a request: the next response tells the client
   * `Connection: close` (so it opens its next connection elsewhere) and `close` runs once
   * that response is through; a connection that stays idle (no request for idleCloseMs) is
   * closed as it is. False, and nothing happens, for traffic whose exchange boundaries are
   * not known here (HTTP/2, opaque TCP, not decided yet): it runs until it ends.
   */
  drainHttp1(close: () => void): boolean {
    const observer = this.#observer;
    if (!(observer instanceof Http1Observer) || observer.failed || this.#draining) return false;
    this.#draining = true;
    observer.closeAfterNextResponse();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(this.#idleTimer);
      close();
    };
    const afterResponse = (): void => {
      if (observer.toldClose && observer.atRest) finish();
      else if (!observer.failed) observer.onRest(afterResponse);
    };
    observer.onRest(afterResponse);
    let seen = this.#clientChunks;
    this.#idleTimer = setInterval(() => {
      if (observer.failed) clearInterval(this.#idleTimer);
      else if (observer.atRest && this.#clientChunks === seen) finish();
      seen = this.#clientChunks;
    }, idleCloseMs);
    this.#idleTimer.unref();
    return true;
  }

  /** A server chunk with `Connection: close` put in the response head a drain asked for. */
  #withClose(chunk: Buffer): Buffer | undefined {
    const at = (this.#observer as Http1Observer).takeInsertion();
    return at === undefined ? undefined : Buffer.concat([chunk.subarray(0, at), connectionClose, chunk.subarray(at)]);
  }
}
