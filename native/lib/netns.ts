import type { NetnsSocketOptions } from './addon.js';
import { addon } from './addon.js';
import { native, nativeAsync } from './native-error.js';

export type { NetnsSocketOptions } from './addon.js';

/**
 * Opens a listening TCP socket inside a network namespace and returns its fd, for
 * `server.listen({ fd })`. The namespace is entered on a thread of its own.
 */
export function listenInNetns(options: NetnsSocketOptions): Promise<number> {
  return nativeAsync(() => addon.listenInNetns(options));
}

/**
 * Connects a TCP socket from inside a network namespace and returns the fd of the
 * connected socket, for `new net.Socket({ fd })`.
 */
export function connectInNetns(options: NetnsSocketOptions & { port: number }): Promise<number> {
  return nativeAsync(() => addon.connectInNetns(options));
}

/** The kernel's cookie of a network namespace: stable while the namespace exists. */
export function netnsCookie(netnsPath: string): Promise<bigint> {
  return nativeAsync(() => addon.netnsCookie(netnsPath));
}

/** The cookie of the network namespace an open socket belongs to. */
export function socketNetnsCookie(fd: number): bigint {
  return native(() => addon.socketNetnsCookie(fd));
}
