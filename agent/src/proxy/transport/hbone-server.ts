import { constants, createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { WorkloadCertificateSource } from '../../identity/index.js';
import { peerSpiffeId } from './peer-identity.js';
import type { TlsContexts } from './tls-contexts.js';

/** The peer must name itself for TLS to pick the workload's context; any name will do. */
export const hboneServerName = 'hbone.weft.dev';

/** Flow-control window per tunnel: 64 KiB (the HTTP/2 default) caps one tunnel's throughput. */
export const hboneWindowBytes = 4 * 1024 * 1024;

/** A CONNECT that passed TLS and the peer check: the inbound side decides what happens next. */
export interface HboneTunnel {
  stream: ServerHttp2Stream;
  /** The client workload's verified SPIFFE ID. */
  peerIdentity: string;
  /** The address the tunnel's connection came from (the source pod's, unmapped). */
  peerAddress: string | undefined;
  /** Where the client wants to go: :authority of the CONNECT. */
  target: { address: string; port: number };
  accept(): void;
  refuse(status: number, reason: string): void;
}

export interface HboneServerOptions {
  /** A listening socket (podIP:15008 in the workload's netns). */
  fd: number;
  /** The workload whose certificate this listener presents. */
  identity: string;
  certificates: WorkloadCertificateSource;
  contexts: TlsContexts;
  trustDomain: string;
  onTunnel: (tunnel: HboneTunnel) => void;
  /** A peer turned away before any tunnel: bad TLS, no or foreign identity, not CONNECT. */
  onRefused: (reason: HboneRefusal) => void;
}

export type HboneRefusal = 'tls-handshake' | 'no-peer-identity' | 'not-connect' | 'bad-authority';

/** "10.0.0.1:80" or "[fd00::1]:80" → address and port; undefined for anything else. */
export function parseAuthority(authority: string | undefined): { address: string; port: number } | undefined {
  const match = authority ? /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(authority) : null;
  const address = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!address || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { address, port };
}

/**
 * The HBONE listener of one workload: TLS 1.3 with the workload's certificate, a client
 * certificate required and verified against the mesh root, HTTP/2, CONNECT only.
 */
export async function startHboneServer(options: HboneServerOptions): Promise<Http2SecureServer> {
  const initial = options.certificates.current(options.identity);
  if (!initial) throw new Error(`no certificate for ${options.identity} yet`);
  const server = createSecureServer({
    allowHTTP1: false,
    // Clients without SNI get the context of the certificate held when the listener opened.
    cert: initial.chainPem,
    key: initial.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    ca: options.contexts.trustBundlePem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    ALPNProtocols: ['h2'],
    // Every handshake gets the current certificate: renewals apply without a restart.
    SNICallback: (_name, callback) => {
      const certificate = options.certificates.current(options.identity);
      if (certificate) callback(null, options.contexts.of(certificate));
      else callback(new Error(`no valid certificate for ${options.identity}`));
    },
    settings: { maxConcurrentStreams: 100_000, initialWindowSize: hboneWindowBytes },
  });
  server.on('tlsClientError', (_error: Error, socket: TLSSocket) => {
    options.onRefused('tls-handshake');
    socket.destroy();
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!peerSpiffeId(socket, options.trustDomain)) {
      options.onRefused('no-peer-identity');
      socket.destroy();
    }
  });
  server.on('session', (session) => {
    session.on('error', () => session.destroy());
    session.setLocalWindowSize(hboneWindowBytes * 4);
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => stream.destroy());
    const socket = stream.session?.socket as TLSSocket | undefined;
    const peerIdentity = socket ? peerSpiffeId(socket, options.trustDomain) : undefined;
    const respond = (status: number, reason?: string): void => {
      if (stream.destroyed || stream.headersSent) return;
      stream.respond({ ':status': status, ...(reason ? { 'weft-refusal': reason } : {}) }, { endStream: status !== 200 });
    };
    if (!peerIdentity) {
      // A connection refused at its handshake may still deliver the streams it sent at once:
      // it was counted there.
      if (!socket?.destroyed) options.onRefused('no-peer-identity');
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (headers[':method'] !== 'CONNECT') {
      options.onRefused('not-connect');
      respond(405, 'only CONNECT');
      return;
    }
    const target = parseAuthority(headers[':authority']);
    if (!target) {
      options.onRefused('bad-authority');
      respond(400, 'authority must be ip:port');
      return;
    }
    const remote = socket?.remoteAddress;
    const peerAddress = remote?.startsWith('::ffff:') ? remote.slice('::ffff:'.length) : remote;
    options.onTunnel({ stream, peerIdentity, peerAddress, target, accept: () => respond(200), refuse: (status, reason) => respond(status, reason) });
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd: options.fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
