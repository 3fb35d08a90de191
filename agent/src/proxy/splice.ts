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
  /** Copies of the bytes each way, for observers (never change them). */
  onClientData?: (chunk: Buffer) => void;
  onServerData?: (chunk: Buffer) => void;
}

/**
 * Joins two streams both ways until both directions have ended. Half-close is kept: when
 * one side ends its writing, the other side's writing is ended and the reverse direction
 * goes on. An error on either side destroys both. Resolves once both are closed.
 */
export function splice(client: Duplex, server: Duplex, options: SpliceOptions = {}): Promise<SpliceResult> {
  const result: SpliceResult = { sent: 0, received: 0 };
  return new Promise((resolve) => {
    let closed = 0;
    const fail = (error: Error): void => {
      result.error ??= error;
      client.destroy();
      server.destroy();
    };
    const onClose = (): void => {
      if (++closed === 2) resolve(result);
    };
    client.on('data', (chunk: Buffer) => {
      result.sent += chunk.length;
      options.onClientData?.(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      result.received += chunk.length;
      options.onServerData?.(chunk);
    });
    client.on('error', fail);
    server.on('error', fail);
    client.once('close', onClose);
    server.once('close', onClose);
    // A stream that closed before its end arrived (reset) takes the other with it.
    client.once('close', () => {
      if (!client.readableEnded || !client.writableFinished) server.destroy();
    });
    server.once('close', () => {
      if (!server.readableEnded || !server.writableFinished) client.destroy();
    });
    if (options.clientPrefix && options.clientPrefix.length > 0) {
      result.sent += options.clientPrefix.length;
      options.onClientData?.(options.clientPrefix);
      server.write(options.clientPrefix);
    }
    client.pipe(server);
    server.pipe(client);
    client.resume();
    server.resume();
  });
}
