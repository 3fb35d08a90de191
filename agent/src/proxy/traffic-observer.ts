import type { AppProtocolHint } from '../state/index.js';
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

  client = (chunk: Buffer): void => {
    if (this.#state === 'http') {
      this.#observer?.client(chunk);
      return;
    }
    if (this.#state === 'opaque') return;
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

  server = (chunk: Buffer): void => {
    if (this.#state === 'http') {
      this.#observer?.server(chunk);
      return;
    }
    if (this.#state === 'opaque') return;
    // Kept until the client's first bytes decide; a server that keeps talking alone
    // (a banner protocol) is not HTTP.
    this.#serverFirst.push(chunk);
    this.#serverFirstBytes += chunk.length;
    if (this.#serverFirstBytes > maxDetectBytes) {
      this.#state = 'opaque';
      this.#serverFirst = [];
    }
  };

  close(): void {
    this.#observer?.close();
  }
}
