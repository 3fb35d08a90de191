import { closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWeftError, WeftError, type Logger } from '@weft/api';
import { FdChannel } from '@weft/native';
import { decodeMessage, encodeMessage, handoverVersion, type HandoverMessage } from './handover-protocol.js';
import { checkPeer, InheritedSockets } from './node-sockets.js';

export interface HandoverClientOptions {
  name: string;
  log: Logger;
  procRoot?: string;
  /** How long each message of the running agent may take (default 5 s). */
  messageTimeoutMs?: number;
}

/**
 * The new agent's side of a hand-over. connect() finds the running agent of this node (or
 * none: a first start, or a restart after a crash) and receives its listening sockets; the
 * running agent stops changing the kernel state meanwhile. take() then asks it to stop
 * accepting: from that answer on, this agent owns the node.
 */
export class HandoverClient {
  readonly sockets = new InheritedSockets();
  readonly #channel: FdChannel;
  readonly #options: HandoverClientOptions;

  private constructor(channel: FdChannel, options: HandoverClientOptions) {
    this.#channel = channel;
    this.#options = options;
  }

  /** undefined when no agent listens on the node's hand-over name. */
  static async connect(options: HandoverClientOptions): Promise<HandoverClient | undefined> {
    let channel: FdChannel;
    try {
      channel = FdChannel.connect(options.name);
    } catch (error) {
      if (isWeftError(error, 'WEFT_NATIVE_NO_LISTENER')) return undefined;
      throw error;
    }
    const client = new HandoverClient(channel, options);
    try {
      await client.#receiveSockets();
    } catch (error) {
      client.abort();
      throw error;
    }
    return client;
  }

  async #receiveSockets(): Promise<void> {
    const refusal = checkPeer(this.#channel.peer, this.#options.procRoot);
    if (refusal) throw new WeftError('WEFT_HANDOVER_UNTRUSTED_PEER', `the process on the hand-over socket is not an agent: ${refusal}`, { hint: 'another process holds the name; find it with ss -xlp' });
    this.#channel.send(encodeMessage({ type: 'hello', version: handoverVersion, pid: process.pid }));
    for (;;) {
      const message = await this.#receive(this.#options.messageTimeoutMs ?? 5000);
      if (message.type === 'end') return;
      if (message.type !== 'sockets') throw unexpected(message, 'sockets');
    }
  }

  /** The next message, waiting up to timeoutMs (polled: the agent's event loop goes on). */
  async #receive(timeoutMs: number): Promise<HandoverMessage> {
    const deadline = Date.now() + timeoutMs;
    let received = this.#channel.receive(0);
    while (!received && Date.now() < deadline) {
      await sleep(10);
      received = this.#channel.receive(0);
    }
    if (!received) throw new WeftError('WEFT_HANDOVER_TIMEOUT', `the running agent did not answer within ${timeoutMs} ms`);
    if (received.data.length === 0) throw new WeftError('WEFT_HANDOVER_PEER_GONE', 'the running agent closed the hand-over');
    let message: HandoverMessage;
    try {
      message = decodeMessage(received.data, received.fds.length);
    } catch (error) {
      for (const fd of received.fds) closeQuietly(fd);
      throw error;
    }
    if (message.type === 'sockets') this.sockets.add(message, received.fds);
    else for (const fd of received.fds) closeQuietly(fd);
    if (message.type === 'refused') throw new WeftError('WEFT_HANDOVER_REFUSED', `the running agent refused the hand-over: ${message.reason}`);
    return message;
  }

  /**
   * Asks the running agent to stop accepting; true once it has (or has gone away: its
   * kernel state stays as it left it). False when it gave up on this hand-over meanwhile
   * and owns the node again: then this agent must not take it.
   */
  async take(timeoutMs = 10_000): Promise<boolean> {
    try {
      this.#channel.send(encodeMessage({ type: 'taken' }));
    } catch {
      // Closed: what it said last is still to be read below.
    }
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline) {
        const received = this.#channel.receive(0);
        if (!received) {
          await sleep(20);
          continue;
        }
        for (const fd of received.fds) closeQuietly(fd);
        if (received.data.length === 0) return this.#predecessorGone();
        const message = decodeMessage(received.data, 0);
        if (message.type === 'released') return true;
        this.#options.log.error('the running agent did not release the node', { answer: message });
        return false;
      }
      this.#options.log.error('the running agent did not confirm the hand-over in time', { timeoutMs });
      return false;
    } finally {
      this.#channel.close();
    }
  }

  /**
   * The hand-over closed without an answer. A predecessor that gave up on it still listens
   * for the next successor, and owns the node: not ours to take. One that died does not
   * listen: its kernel state stays as it left it, ours to take.
   */
  #predecessorGone(): boolean {
    try {
      FdChannel.connect(this.#options.name).close();
      this.#options.log.error('the running agent closed the hand-over and keeps the node');
      return false;
    } catch {
      this.#options.log.warn('the running agent went away before it confirmed the hand-over; taking the node as it left it');
      return true;
    }
  }

  /** Gives up: the sockets are closed here, the running agent keeps the node. */
  abort(): void {
    this.sockets.closeUnused();
    this.#channel.close();
  }
}

function unexpected(message: HandoverMessage, wanted: string): WeftError {
  return new WeftError('WEFT_HANDOVER_BAD_MESSAGE', `the running agent sent ${message.type} where ${wanted} was due`);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
