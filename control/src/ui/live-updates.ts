import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { windowLimits, type LiveMessage, type Logger } from '@weft/api';
import type { TelemetryStore } from '../telemetry/telemetry-store.js';
import { parseWindowQuery } from './ui-routes.js';

export interface LiveUpdatesOptions {
  server: Server;
  store: TelemetryStore;
  log: Logger;
  /** How often every client gets the graph it watches (default 2 s). */
  intervalMs?: number;
}

const path = '/api/v1/live';
/** A client's message is a small JSON object; anything larger is refused unread. */
const maxMessageBytes = 4096;

function watchOf(data: string): { windowSeconds: number; namespace?: string } | { error: string } {
  let request: unknown;
  try {
    request = JSON.parse(data);
  } catch {
    return { error: 'the message is not JSON; send {"type":"watch","windowSeconds":60,"namespace":"shop"}' };
  }
  if (typeof request !== 'object' || request === null || (request as { type?: unknown }).type !== 'watch') return { error: 'only {"type":"watch", …} messages are understood' };
  const { windowSeconds, namespace } = request as { windowSeconds?: unknown; namespace?: unknown };
  const params = new URLSearchParams();
  if (windowSeconds !== undefined) params.set('window', JSON.stringify(windowSeconds));
  if (namespace !== undefined) params.set('namespace', typeof namespace === 'string' ? namespace : JSON.stringify(namespace));
  return parseWindowQuery(params);
}

/**
 * The live side of the UI: a WebSocket on /api/v1/live (same port as the REST API, so one
 * `kubectl port-forward` serves both) that sends each client the graph it watches every
 * interval. A client's bad message is answered with an error message and nothing else
 * changes; a client that stops reading is dropped rather than buffered without end.
 */
export function attachLiveUpdates(options: LiveUpdatesOptions): { close(): void } {
  const { server, store, log } = options;
  const intervalMs = options.intervalMs ?? 2000;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const watching = new Map<WebSocket, { windowSeconds: number; namespace?: string }>();
  const send = (socket: WebSocket, message: LiveMessage): void => {
    // More than a few updates queued: the client is not keeping up; it reconnects and catches up.
    if (socket.bufferedAmount > 8 * 1024 * 1024) {
      socket.terminate();
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const push = (socket: WebSocket): void => {
    const watch = watching.get(socket);
    if (watch) send(socket, { type: 'graph', graph: store.graph(watch), intervalSeconds: intervalMs / 1000 });
  };
  sockets.on('connection', (socket: WebSocket) => {
    watching.set(socket, { windowSeconds: windowLimits.default });
    socket.on('message', (data: Buffer) => {
      const watch = watchOf(data.toString('utf8'));
      if ('error' in watch) send(socket, { type: 'error', message: watch.error });
      else {
        watching.set(socket, watch);
        push(socket);
      }
    });
    socket.on('close', () => watching.delete(socket));
    socket.on('error', () => watching.delete(socket));
    push(socket);
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (new URL(request.url ?? '/', 'http://weft').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);
  const timer = setInterval(() => {
    for (const socket of watching.keys()) {
      try {
        push(socket);
      } catch (error) {
        log.error('live update failed', { error });
      }
    }
  }, intervalMs);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      server.off('upgrade', onUpgrade);
      for (const socket of watching.keys()) socket.close(1001, 'the control plane is stopping');
      sockets.close();
    },
  };
}
