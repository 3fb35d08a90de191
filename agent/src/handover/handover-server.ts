import { closeSync } from 'node:fs';
import { FdListener, type FdChannel } from '@weft/native';
import { isWeftError, type Logger } from '@weft/api';
import { decodeMessage, encodeMessage, handoverVersion, type HandoverMessage } from './handover-protocol.js';
import { checkPeer, socketMessages, type NodeSockets } from './node-sockets.js';

/** What the running agent does for a hand-over. */
export interface HandoverGiver {
  /** Stops changing the kernel state (enrolls, unenrolls) once what is under way is done. */
  freeze(): Promise<void>;
  /** Every socket it serves the node with. */
  sockets(): NodeSockets;
  /** Stops accepting on them (the successor holds them too) and sends peers elsewhere. */
  release(): Promise<void>;
  /** The hand-over failed: owns the node again, catching up on what changed meanwhile. */
  thaw(): void;
}

export interface HandoverServerOptions {
  /** The abstract socket name: handoverName(pinRoot). */
  name: string;
  giver: HandoverGiver;
  log: Logger;
  procRoot?: string;
  /** How often a waiting successor is looked for (default 100 ms). */
  pollMs?: number;
  /** How long a successor may take from its hello to 'taken' (default 120 s). */
  takeTimeoutMs?: number;
}

type Phase = { kind: 'hello'; deadline: number } | { kind: 'taken'; deadline: number };

interface Session {
  channel: FdChannel;
  phase: Phase;
  /** Messages not sent yet: a large node's sockets fill the socket buffer. */
  outbox: { data: Buffer; fds: number[] }[];
}

/**
 * The running agent's side of a hand-over: listens for a successor on the node, gives it
 * every listening socket, and stops serving them once it says it has taken the node.
 *
 * Node cannot wait on the socket, so it is polled (10 times a second by default): a
 * hand-over happens once per upgrade and the cost of a poll is one system call.
 */
export class HandoverServer {
  readonly #options: HandoverServerOptions;
  readonly #listener: FdListener;
  readonly #timer: NodeJS.Timeout;
  #session: Session | undefined;
  #busy = false;
  #handedOver: Promise<void>;
  #resolveHandedOver: () => void = () => undefined;
  #done = false;

  private constructor(options: HandoverServerOptions) {
    this.#options = options;
    this.#listener = new FdListener(options.name);
    this.#handedOver = new Promise((resolve) => (this.#resolveHandedOver = resolve));
    this.#timer = setInterval(() => void this.#poll(), options.pollMs ?? 100);
    this.#timer.unref();
  }

  /** Listens on the node's hand-over name (WEFT_NATIVE_NAME_IN_USE while another agent does). */
  static start(options: HandoverServerOptions): HandoverServer {
    return new HandoverServer(options);
  }

  handedOver(): boolean {
    return this.#done;
  }

  /** Resolves once a successor has taken the node and this agent stopped accepting. */
  whenHandedOver(): Promise<void> {
    return this.#handedOver;
  }

  /** Whether a successor is taking over right now. */
  inProgress(): boolean {
    return this.#session !== undefined;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#abort('the agent is stopping');
    this.#listener.close();
  }

  async #poll(): Promise<void> {
    if (this.#busy || this.#done) return;
    this.#busy = true;
    try {
      if (this.#session) await this.#advance(this.#session);
      else this.#accept();
    } catch (error) {
      this.#options.log.error('hand-over failed; this agent keeps the node', { error });
      this.#abort('failed');
    } finally {
      this.#busy = false;
    }
  }

  #accept(): void {
    const channel = this.#listener.accept();
    if (!channel) return;
    const refusal = checkPeer(channel.peer, this.#options.procRoot);
    if (refusal) {
      this.#options.log.warn('hand-over refused', { peer: channel.peer, reason: refusal });
      refuse(channel, refusal);
      return;
    }
    this.#session = { channel, phase: { kind: 'hello', deadline: Date.now() + 2000 }, outbox: [] };
  }

  async #advance(session: Session): Promise<void> {
    const { channel, phase } = session;
    flush(session);
    const received = channel.receive(0);
    if (!received) {
      if (Date.now() > phase.deadline) {
        this.#options.log.warn('hand-over timed out; this agent keeps the node', { waitingFor: phase.kind, peer: channel.peer });
        this.#abort('timed out');
      }
      return;
    }
    if (received.data.length === 0) {
      this.#options.log.warn('the successor went away during the hand-over; this agent keeps the node', { waitingFor: phase.kind, peer: channel.peer });
      this.#abort(undefined);
      return;
    }
    const message = decodeMessage(received.data, received.fds.length);
    if (phase.kind === 'hello' && message.type === 'hello') {
      if (message.version !== handoverVersion) {
        this.#session = undefined;
        refuse(channel, `hand-over version ${message.version} is not ${handoverVersion}`);
        return;
      }
      this.#options.log.info('a successor is taking over the node', { pid: message.pid });
      await this.#options.giver.freeze();
      // From here an abort thaws.
      session.phase = { kind: 'taken', deadline: Date.now() + (this.#options.takeTimeoutMs ?? 120_000) };
      for (const { message: sockets, fds } of socketMessages(this.#options.giver.sockets())) session.outbox.push({ data: encodeMessage(sockets), fds });
      session.outbox.push({ data: encodeMessage({ type: 'end' }), fds: [] });
      flush(session);
      return;
    }
    if (phase.kind === 'taken' && message.type === 'taken') {
      await this.#options.giver.release();
      this.#done = true;
      send(channel, { type: 'released' });
      channel.close();
      this.#session = undefined;
      clearInterval(this.#timer);
      // The name is free for the successor to listen on.
      this.#listener.close();
      this.#options.log.info('handed the node over; serving only what is already open until the drain ends');
      this.#resolveHandedOver();
      return;
    }
    this.#abort(`unexpected ${message.type} while waiting for ${phase.kind}`);
  }

  #abort(reason: string | undefined): void {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    if (reason) refuse(session.channel, reason);
    else session.channel.close();
    if (session.phase.kind === 'taken') this.#options.giver.thaw();
  }
}

/** A last word to a peer that may be gone already: the next receive says whether it is. */
function send(channel: FdChannel, message: HandoverMessage): void {
  try {
    channel.send(encodeMessage(message));
  } catch {
    // Gone.
  }
}

/**
 * Says why, and closes. What the peer sent is read first: closing with it unread would
 * reset the connection, and the peer would never read the reason.
 */
function refuse(channel: FdChannel, reason: string): void {
  try {
    for (let message = channel.receive(0); message && message.data.length > 0; message = channel.receive(0)) {
      for (const fd of message.fds) closeSync(fd);
    }
  } catch {
    // Gone already.
  }
  send(channel, { type: 'refused', reason });
  channel.close();
}

/** Sends what the socket buffer takes now; the rest waits for the next poll. */
function flush(session: Session): void {
  while (session.outbox.length > 0) {
    const [next] = session.outbox;
    if (!next) return;
    try {
      session.channel.send(next.data, next.fds);
    } catch (error) {
      if (isWeftError(error) && error.code === 'WEFT_NATIVE_WOULD_BLOCK') return;
      throw error;
    }
    session.outbox.shift();
  }
}
