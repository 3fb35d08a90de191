import type { Duplex } from 'node:stream';

export interface SpliceResult {
  /** Bytes from the client side to the server side, and back. */
  sent: number;
  received: number;
  /** The first error on either side, if the splice did not end cleanly. */
  error?: Error;
}

export interface SpliceOptions {
  /** Bytes already read from the client (protocol detection): written to the server first. */
  clientPrefix?: Buffer;
  /** Copies of the bytes each way, for observers; a Buffer returned is written instead of the chunk. */
  onClientData?: (chunk: Buffer) => Buffer | undefined;
  onServerData?: (chunk: Buffer) => Buffer | undefined;
}

/** What one direction adds up. */
interface Direction {
  bytes: number;
}

/**
 * Moves one direction: each chunk read is counted, shown to the observer and written in
 * the same call, with one 'data' listener (an emitter with two clones its listener list
 * for every chunk). A full writer pauses the reader until it drains; the reader's end
 * ends the writer (half-close), and the other direction goes on.
 */
function forward(from: Duplex, to: Duplex, direction: Direction, observe: ((chunk: Buffer) => Buffer | undefined) | undefined): void {
  from.on('data', (chunk: Buffer) => {
    direction.bytes += chunk.length;
    const out = observe?.(chunk) ?? chunk;
    // A destroyed writer takes the reader down with it (splice's close handling): drop the rest.
    if (!to.destroyed && !to.write(out)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

/**
 * Joins two streams both ways until both directions have ended. Half-close is kept: when
 * one side ends its writing, the other side's writing is ended and the reverse direction
 * goes on. An error on either side destroys both. Resolves once both are closed.
 */
export function splice(client: Duplex, server: Duplex, options: SpliceOptions = {}): Promise<SpliceResult> {
  const sent: Direction = { bytes: 0 };
  const received: Direction = { bytes: 0 };
  let error: Error | undefined;
  return new Promise((resolve) => {
    let closed = 0;
    const fail = (cause: Error): void => {
      error ??= cause;
      client.destroy();
      server.destroy();
    };
    const onClose = (): void => {
      if (++closed < 2) return;
      resolve(error ? { sent: sent.bytes, received: received.bytes, error } : { sent: sent.bytes, received: received.bytes });
    };
    client.on('error', fail);
    server.on('error', fail);
    // A stream that closed before its end arrived (reset) takes the other with it.
    client.once('close', () => {
      if (!client.readableEnded || !client.writableFinished) server.destroy();
      onClose();
    });
    server.once('close', () => {
      if (!server.readableEnded || !server.writableFinished) client.destroy();
      onClose();
    });
    if (options.clientPrefix && options.clientPrefix.length > 0) {
      sent.bytes += options.clientPrefix.length;
      options.onClientData?.(options.clientPrefix);
      server.write(options.clientPrefix);
    }
    forward(client, server, sent, options.onClientData);
    forward(server, client, received, options.onServerData);
    client.resume();
    server.resume();
  });
}
