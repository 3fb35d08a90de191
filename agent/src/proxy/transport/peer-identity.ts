import type { TLSSocket } from 'node:tls';

/**
 * The SPIFFE ID of the peer of a verified TLS connection: its certificate's only URI SAN,
 * if that is a spiffe:// URI of the expected trust domain. The chain itself was verified by
 * the TLS stack against the mesh root; this reads who it names.
 */
export function peerSpiffeId(socket: TLSSocket, trustDomain: string): string | undefined {
  // null once the socket is destroyed (a peer that went away meanwhile), whatever the types say.
  const certificate = socket.getPeerCertificate() as ReturnType<TLSSocket['getPeerCertificate']> | null;
  const san = certificate?.subjectaltname;
  if (!san) return undefined;
  const uris = san
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice('URI:'.length));
  if (uris.length !== 1) return undefined;
  const [uri] = uris;
  return uri?.startsWith(`spiffe://${trustDomain}/`) ? uri : undefined;
}
