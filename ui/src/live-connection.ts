import type { LiveRequest, TrafficGraph } from '@weft/api';
import { readLiveMessage } from './contract-reader.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

/**
 * The app's end of /api/v1/live: connects, sends what to watch on every (re)connect, hands
 * each graph on, and reconnects by itself with back-off when the socket closes — or goes
 * silent, as a port-forward does when the pod behind it is replaced, leaving a socket that
 * never closes. The socket comes from a factory so this runs (and is tested) without a
 * browser.
 */

/** The little of a WebSocket this needs (browser-socket.ts adapts the real one). */
export interface LiveSocket {
  send(data: string): void;
  close(): void;
}

export interface LiveSocketHandlers {
  open(): void;
  message(data: string): void;
  close(): void;
}

export type LiveSocketFactory = (url: URL, handlers: LiveSocketHandlers) => LiveSocket;

export type LiveStatus =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'reconnecting'; retryInMs: number; attempt: number }
  | { state: 'error'; message: string }
  | { state: 'stopped' };

export interface LiveConnectionOptions {
  url: URL;
  connect: LiveSocketFactory;
  /** What to watch; asked again on each (re)connect, so a filter change while away is kept. */
  request: () => LiveRequest;
  onGraph: (graph: TrafficGraph) => void;
  onStatus: (status: LiveStatus) => void;
  backoff?: ReconnectBackoff;
  /** Silence after which the socket is taken for dead, before the first message (ms). */
  silenceMs?: number;
}

export class LiveConnection {
  readonly #options: LiveConnectionOptions;
  readonly #backoff: ReconnectBackoff;
  #socket: LiveSocket | null = null;
  /** Bumped whenever a socket is dropped, so the handlers of an old one do nothing. */
  #generation = 0;
  #open = false;
  #stopped = true;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #silenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Three intervals of the server's own pace, once it has said what that is. */
  #silenceMs: number;

  constructor(options: LiveConnectionOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new ReconnectBackoff();
    this.#silenceMs = options.silenceMs ?? 15_000;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#silenceTimer);
    this.#drop();
    this.#options.onStatus({ state: 'stopped' });
  }

  /** Tells the server the new filter now; when not connected it goes with the next connect. */
  update(): void {
    if (this.#open) this.#socket?.send(JSON.stringify(this.#options.request()));
  }

  #connect(): void {
    this.#options.onStatus({ state: 'connecting' });
    const generation = ++this.#generation;
    const current = (): boolean => generation === this.#generation;
    this.#socket = this.#options.connect(this.#options.url, {
      open: () => {
        if (!current()) return;
        this.#open = true;
        this.#options.onStatus({ state: 'live' });
        this.update();
        this.#armSilence();
      },
      message: (data) => {
        if (!current()) return;
        // Read by `make bench` (frame time of a live update), as is weft:graph-applied.
        performance.clearMarks('weft:live-message');
        performance.mark('weft:live-message');
        this.#onMessage(data);
      },
      close: () => {
        if (current()) this.#retry();
      },
    });
  }

  #onMessage(data: string): void {
    // Only a socket that delivers counts as working: one that opens and is closed at
    // once (a proxy with no backend) keeps backing off.
    this.#backoff.reset();
    let message;
    try {
      message = readLiveMessage(data);
    } catch (error) {
      this.#options.onStatus({ state: 'error', message: error instanceof Error ? error.message : String(error) });
      this.#armSilence();
      return;
    }
    if (message.type === 'error') {
      this.#options.onStatus({ state: 'error', message: message.message });
    } else {
      this.#silenceMs = Math.max(5_000, message.intervalSeconds * 3_000);
      this.#options.onStatus({ state: 'live' });
      this.#options.onGraph(message.graph);
    }
    this.#armSilence();
  }

  #armSilence(): void {
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = setTimeout(() => this.#retry(), this.#silenceMs);
  }

  #retry(): void {
    this.#drop();
    clearTimeout(this.#silenceTimer);
    if (this.#stopped) return;
    const attempt = this.#backoff.attempts + 1;
    const retryInMs = this.#backoff.next();
    this.#options.onStatus({ state: 'reconnecting', retryInMs, attempt });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), retryInMs);
  }

  #drop(): void {
    const socket = this.#socket;
    this.#generation++;
    this.#socket = null;
    this.#open = false;
    socket?.close();
  }
}
