import { connect as http2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { isIPv6, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WeftError } from '@weft/api';
import { connectInNetns, NativeError } from '@weft/native';
import type { WorkloadCertificate, WorkloadCertificateSource } from '../../identity/index.js';
import { hboneServerName, hboneWindowBytes } from './hbone-server.js';
import { peerSpiffeId } from './peer-identity.js';
import type { TlsContexts } from './tls-contexts.js';

export interface HboneRequest {
  /** The client workload: its identity and the netns its connections leave from. */
  source: { identity: string; netnsPath: string };
  /** The destination workload's address, the app port, and the identity it must prove. */
  destination: { address: string; port: number; identity: string };
}

export interface HbonePoolOptions {
  certificates: WorkloadCertificateSource;
  contexts: TlsContexts;
  /** The mesh's trust domain, read at use (the mesh state may change it). */
  trustDomain: () => string;
  /** Port of the destination's HBONE listener (15008). */
  tlsPort: number;
  /** SO_MARK of the agent's sockets in pod namespaces: the kernel never redirects them. */
  mark: number;
  connectTimeoutMs?: number;
}

/**
 * How long a refused connect to a destination's HBONE port is tried again: when a pod
 * joins, the agents of both ends learn it at once, and the destination's may open its
 * listener a moment after the source's starts tunnelling.
 */
const refusedRetryMs = 2000;

/** The pauses between connects that were refused: short at first, then every 400 ms. */
const refusedBackoffMs = (attempt: number): number => Math.min(25 * 2 ** attempt, 400);

/** Why a tunnel could not be opened; `status` is the peer's HTTP status when it refused. */
export class HboneError extends WeftError {
  readonly status: number | undefined;
  readonly reason: string;

  constructor(code: `WEFT_HBONE_${string}`, message: string, options: { status?: number; reason: string; cause?: unknown; hint?: string }) {
    super(code, message, options);
    this.status = options.status;
    this.reason = options.reason;
  }
}

/** A stream the server never processed (refused, or its session going away): open it again. */
class RetryableStream extends HboneError {
  constructor(cause: unknown) {
    super('WEFT_HBONE_STREAM_FAILED', `the tunnel was refused before it was processed: ${(cause as Error).message}`, { reason: 'stream-failed', cause });
  }
}

interface PooledSession {
  session: ClientHttp2Session;
  certificate: WorkloadCertificate;
}

/**
 * HBONE tunnels: HTTP/2 CONNECT over mutual TLS 1.3, one pooled session per (source
 * identity, destination address, destination identity), opened from the source pod's
 * netns so the packets carry the pod's address. The server must prove the expected
 * SPIFFE ID; a renewed source certificate retires the session (its tunnels finish).
 */
export class HbonePool {
  readonly #options: HbonePoolOptions;
  readonly #sessions = new Map<string, Promise<PooledSession>>();

  constructor(options: HbonePoolOptions) {
    this.#options = options;
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  async open(request: HboneRequest): Promise<ClientHttp2Stream> {
    const certificate = this.#options.certificates.current(request.source.identity);
    if (!certificate) {
      throw new HboneError('WEFT_HBONE_NO_CERTIFICATE', `${request.source.identity} has no valid certificate yet`, { reason: 'no-certificate', hint: 'is the control plane reachable? see weft_identity metrics' });
    }
    try {
      return await this.#tunnel(request, await this.#session(request, certificate));
    } catch (error) {
      // A session the peer is closing (GOAWAY: its agent is handing the node over) refuses
      // streams it never processed; they are safe to open again, on a new session.
      if (!(error instanceof RetryableStream)) throw error;
      return this.#tunnel(request, await this.#session(request, certificate));
    }
  }

  #tunnel(request: HboneRequest, pooled: PooledSession): Promise<ClientHttp2Stream> {
    const authority = isIPv6(request.destination.address) ? `[${request.destination.address}]:${request.destination.port}` : `${request.destination.address}:${request.destination.port}`;
    let stream: ClientHttp2Stream;
    try {
      stream = pooled.session.request({ ':method': 'CONNECT', ':authority': authority }, { endStream: false });
    } catch (error) {
      // The session got a GOAWAY or closed since it was taken from the pool.
      return Promise.reject(new RetryableStream(error));
    }
    return new Promise((resolve, reject) => {
      const failed = (error: Error): void => {
        if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) reject(new RetryableStream(error));
        else reject(new HboneError('WEFT_HBONE_STREAM_FAILED', `the tunnel to ${authority} failed: ${error.message}`, { reason: 'stream-failed', cause: error }));
      };
      stream.once('error', failed);
      stream.once('response', (headers) => {
        stream.off('error', failed);
        const status = Number(headers[':status']);
        if (status === 200) {
          resolve(stream);
          return;
        }
        const reason = typeof headers['weft-refusal'] === 'string' ? headers['weft-refusal'] : `status ${status}`;
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new HboneError('WEFT_HBONE_REFUSED', `${request.destination.identity} refused the tunnel to ${authority}: ${reason}`, { status, reason }));
      });
    });
  }

  close(): void {
    for (const pending of this.#sessions.values()) {
      pending.then(({ session }) => session.destroy()).catch(() => undefined);
    }
    this.#sessions.clear();
  }

  async #session(request: HboneRequest, certificate: WorkloadCertificate): Promise<PooledSession> {
    const key = `${request.source.identity}|${request.destination.address}|${request.destination.identity}`;
    const existing = this.#sessions.get(key);
    if (existing) {
      const pooled = await existing.catch(() => undefined);
      if (pooled && pooled.certificate === certificate && !pooled.session.closed && !pooled.session.destroyed) return pooled;
      if (this.#sessions.get(key) === existing) this.#sessions.delete(key);
      // A renewed certificate: new tunnels use a new session, this one ends with its last tunnel.
      if (pooled && !pooled.session.closed) pooled.session.close();
      return this.#session(request, certificate);
    }
    const created = this.#connect(request, certificate);
    this.#sessions.set(key, created);
    created
      .then(({ session }) => {
        const forget = (): void => {
          if (this.#sessions.get(key) === created) this.#sessions.delete(key);
        };
        session.once('close', forget);
        session.once('goaway', forget);
        session.on('error', forget);
      })
      .catch(() => {
        if (this.#sessions.get(key) === created) this.#sessions.delete(key);
      });
    return created;
  }

  async #connect(request: HboneRequest, certificate: WorkloadCertificate): Promise<PooledSession> {
    const tcp = new Socket({ fd: await this.#connectTcp(request), readable: true, writable: true });
    const tls = await this.#handshake(tcp, request, certificate);
    const session = http2Connect(`https://${hboneServerName}`, {
      createConnection: () => tls,
      settings: { initialWindowSize: hboneWindowBytes, enablePush: false },
    });
    session.on('error', () => session.destroy());
    session.once('connect', () => session.setLocalWindowSize(hboneWindowBytes * 4));
    return { session, certificate };
  }

  /** The TCP connection to the destination's HBONE port, from the source pod's netns; a refusal is tried again for a while. */
  async #connectTcp(request: HboneRequest): Promise<number> {
    const { destination, source } = request;
    const deadline = performance.now() + refusedRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await connectInNetns({
          netns: source.netnsPath,
          family: isIPv6(destination.address) ? 6 : 4,
          address: destination.address,
          port: this.#options.tlsPort,
          mark: this.#options.mark,
          timeoutMs: this.#options.connectTimeoutMs ?? 5000,
        });
      } catch (error) {
        const pause = refusedBackoffMs(attempt);
        if (error instanceof NativeError && error.code === 'WEFT_NATIVE_CONNECTION_REFUSED' && performance.now() + pause < deadline) {
          await sleep(pause);
          continue;
        }
        throw new HboneError('WEFT_HBONE_CONNECT_FAILED', `cannot reach ${destination.address}:${this.#options.tlsPort}${attempt > 0 ? ` (refused ${attempt + 1} times)` : ''}`, {
          reason: 'connect-failed',
          cause: error,
          hint: `maybe a NetworkPolicy blocks port ${this.#options.tlsPort}, or the destination's agent is down or has not enrolled the pod`,
        });
      }
    }
  }

  #handshake(tcp: Socket, request: HboneRequest, certificate: WorkloadCertificate): Promise<TLSSocket> {
    const { destination } = request;
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({
        socket: tcp,
        secureContext: this.#options.contexts.of(certificate),
        servername: hboneServerName,
        ALPNProtocols: ['h2'],
        rejectUnauthorized: true,
        // Host names mean nothing here: the peer's SPIFFE ID is checked below instead.
        checkServerIdentity: () => undefined,
      });
      const timer = setTimeout(() => tls.destroy(new Error('TLS handshake timed out')), this.#options.connectTimeoutMs ?? 5000);
      tls.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(new HboneError('WEFT_HBONE_TLS_FAILED', `TLS with ${destination.address} failed: ${error.message}`, { reason: 'tls-failed', cause: error }));
      });
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        const peer = peerSpiffeId(tls, this.#options.trustDomain());
        if (peer !== destination.identity) {
          tls.destroy();
          reject(
            new HboneError('WEFT_HBONE_WRONG_PEER', `${destination.address} proved ${peer ?? 'no SPIFFE ID'}, not ${destination.identity}`, {
              reason: 'wrong-peer',
              hint: 'the address now belongs to another workload, or the mesh state is stale',
            }),
          );
          return;
        }
        tls.removeAllListeners('error');
        tls.on('error', () => tls.destroy());
        resolve(tls);
      });
    });
  }
}
