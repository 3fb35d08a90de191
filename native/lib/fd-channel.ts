import { addon } from './addon.js';
import { native } from './native-error.js';

/** A message of an FdChannel: bytes, and the descriptors that came with them. */
export interface FdMessage {
  data: Buffer;
  /** Open in this process now, close-on-exec; the receiver owns them. */
  fds: number[];
}

/**
 * One connection of an AF_UNIX SOCK_SEQPACKET socket in the abstract namespace, which
 * passes open file descriptors (SCM_RIGHTS) along with each message. Messages keep their
 * boundaries; a send never blocks (the messages are small), a receive waits at most the
 * time it is given.
 */
export class FdChannel {
  /** The process at the other end, as the kernel saw it connect (SO_PEERCRED). */
  readonly peer: { pid: number; uid: number };
  #fd: number;

  private constructor(fd: number, peer: { pid: number; uid: number }) {
    this.#fd = fd;
    this.peer = peer;
  }

  /** Connects to the process listening on `name` (WEFT_NATIVE_NO_LISTENER when none does). */
  static connect(name: string): FdChannel {
    const { fd, pid, uid } = native(() => addon.unixConnect(name));
    return new FdChannel(fd, { pid, uid });
  }

  /** @internal FdListener's accepted connections. */
  static adopt(fd: number, peer: { pid: number; uid: number }): FdChannel {
    return new FdChannel(fd, peer);
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Sends one message; the descriptors stay open here too (the peer gets copies). */
  send(data: Buffer, fds: number[] = []): void {
    native(() => addon.unixSend(this.#open(), data, fds));
  }

  /**
   * The next message, or undefined when none came within `timeoutMs` (0: only one that
   * is already waiting). An empty `data` means the peer closed the channel.
   */
  receive(timeoutMs: number): FdMessage | undefined {
    return native(() => addon.unixReceive(this.#open(), timeoutMs)) ?? undefined;
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    native(() => addon.closeFd(fd));
  }

  #open(): number {
    if (this.#fd < 0) throw new Error('the channel is closed');
    return this.#fd;
  }
}

/**
 * A listening socket for FdChannels, bound to an abstract name in this process's network
 * namespace (WEFT_NATIVE_NAME_IN_USE while another process holds the name).
 */
export class FdListener {
  readonly name: string;
  #fd: number;

  constructor(name: string) {
    this.name = name;
    this.#fd = native(() => addon.unixListen(name));
  }

  /** A connection that is waiting, or undefined: never blocks. */
  accept(): FdChannel | undefined {
    if (this.#fd < 0) return undefined;
    const peer = native(() => addon.unixAccept(this.#fd));
    return peer ? FdChannel.adopt(peer.fd, { pid: peer.pid, uid: peer.uid }) : undefined;
  }

  /** Stops listening: the name is free for another process at once. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    native(() => addon.closeFd(fd));
  }
}
