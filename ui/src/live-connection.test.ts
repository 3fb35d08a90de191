import type { TrafficGraph } from '@weft/api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveConnection, type LiveSocketHandlers, type LiveStatus } from './live-connection.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { liveRequestFor, type ViewFilter } from './view-filter.js';

/** A socket the test drives: what the app sent, and buttons for the server's side. */
class FakeSocket {
  readonly sent: unknown[] = [];
  closed = false;
  readonly #handlers: LiveSocketHandlers;

  constructor(handlers: LiveSocketHandlers) {
    this.#handlers = handlers;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.#handlers.open();
  }

  message(value: unknown): void {
    this.#handlers.message(typeof value === 'string' ? value : JSON.stringify(value));
  }

  drop(): void {
    this.#handlers.close();
  }
}

const graph: TrafficGraph = { at: 5, windowSeconds: 60, namespaces: [], nodes: [], edges: [] };
const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function harness(options: { silenceMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: LiveStatus[] = [];
  const graphs: TrafficGraph[] = [];
  let filter: ViewFilter = { windowSeconds: 60, namespace: null };
  const connection = new LiveConnection({
    url: new URL('ws://127.0.0.1:8084/api/v1/live'),
    connect: (_url, handlers) => {
      const socket = new FakeSocket(handlers);
      sockets.push(socket);
      return socket;
    },
    request: () => liveRequestFor(filter),
    onGraph: (g) => graphs.push(g),
    onStatus: (status) => statuses.push(status),
    backoff: new ReconnectBackoff({ initialMs: 1, maxMs: 4, jitter: 0 }),
    ...options,
  });
  return {
    connection,
    sockets,
    statuses,
    graphs,
    setFilter: (next: ViewFilter) => (filter = next),
    last: (): FakeSocket => {
      const socket = sockets.at(-1);
      assert.ok(socket, 'no socket opened');
      return socket;
    },
  };
}

describe('LiveConnection', () => {
  it('sends the current LiveRequest once open, and hands graphs on', () => {
    const h = harness();
    h.connection.start();
    assert.deepEqual(h.statuses.at(-1), { state: 'connecting' });
    h.last().open();
    assert.deepEqual(h.last().sent, [{ type: 'watch', windowSeconds: 60 }]);
    assert.deepEqual(h.statuses.at(-1), { state: 'live' });
    h.last().message({ type: 'graph', graph, intervalSeconds: 2 });
    assert.deepEqual(h.graphs, [graph]);
    h.connection.stop();
  });

  it('sends a filter change at once', () => {
    const h = harness();
    h.connection.start();
    h.last().open();
    h.setFilter({ windowSeconds: 900, namespace: 'shop' });
    h.connection.update();
    assert.deepEqual(h.last().sent.at(-1), { type: 'watch', windowSeconds: 900, namespace: 'shop' });
    h.connection.stop();
  });

  it('reconnects by itself with back-off, showing it, and asks again for what is watched now', async () => {
    const h = harness();
    h.connection.start();
    h.last().open();
    h.last().drop();
    assert.deepEqual(h.statuses.at(-1), { state: 'reconnecting', retryInMs: 1, attempt: 1 });
    await tick();
    assert.equal(h.sockets.length, 2);
    h.last().drop();
    assert.deepEqual(h.statuses.at(-1), { state: 'reconnecting', retryInMs: 2, attempt: 2 });
    await tick();
    h.setFilter({ windowSeconds: 300, namespace: 'bank' });
    h.last().open();
    assert.deepEqual(h.last().sent, [{ type: 'watch', windowSeconds: 300, namespace: 'bank' }]);
    // A message proves the connection works: the back-off starts over.
    h.last().message({ type: 'graph', graph, intervalSeconds: 2 });
    h.last().drop();
    assert.deepEqual(h.statuses.at(-1), { state: 'reconnecting', retryInMs: 1, attempt: 1 });
    h.connection.stop();
  });

  it('takes a silent socket for dead and replaces it', async () => {
    const h = harness({ silenceMs: 10 });
    h.connection.start();
    h.last().open();
    await tick(30);
    assert.ok(h.sockets[0]?.closed, 'the silent socket was not closed');
    assert.ok(h.sockets.length >= 2);
    h.connection.stop();
  });

  it('shows a server error or a malformed message without dropping the connection', () => {
    const h = harness();
    h.connection.start();
    h.last().open();
    h.last().message({ type: 'error', message: 'window must be 10 to 900 s' });
    assert.deepEqual(h.statuses.at(-1), { state: 'error', message: 'window must be 10 to 900 s' });
    h.last().message('{not json');
    assert.equal(h.statuses.at(-1)?.state, 'error');
    assert.equal(h.sockets.length, 1);
    assert.equal(h.last().closed, false);
    h.connection.stop();
  });

  it('ignores a replaced socket and stays stopped after stop()', async () => {
    const h = harness();
    h.connection.start();
    const first = h.last();
    first.open();
    first.drop();
    await tick();
    first.message({ type: 'graph', graph, intervalSeconds: 2 });
    assert.deepEqual(h.graphs, []);
    h.connection.stop();
    assert.ok(h.last().closed);
    await tick();
    assert.equal(h.sockets.length, 2);
    assert.deepEqual(h.statuses.at(-1), { state: 'stopped' });
  });
});
