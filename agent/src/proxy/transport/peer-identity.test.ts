// peerSpiffeId reads who a verified peer certificate names. The certificates here are
// stand-ins for what Node's TLS returns (getPeerCertificate); the privileged tier presents
// real certificates of each kind to a real HBONE listener (e2e/src/datapath/peer-checks).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { peerSpiffeId } from './peer-identity.js';

const socket = (certificate: { subjectaltname?: string } | null): TLSSocket => ({ getPeerCertificate: () => certificate }) as unknown as TLSSocket;
const id = 'spiffe://cluster.local/ns/shop/sa/client';

describe('peerSpiffeId', () => {
  it('names the one SPIFFE ID of the trust domain', () => {
    assert.equal(peerSpiffeId(socket({ subjectaltname: `URI:${id}` }), 'cluster.local'), id);
    assert.equal(peerSpiffeId(socket({ subjectaltname: `DNS:client.shop, URI:${id}` }), 'cluster.local'), id, 'other kinds of names beside it are ignored');
  });

  it('names no one for no URI, two URIs, another trust domain, a look-alike domain or another scheme', () => {
    for (const subjectaltname of [
      undefined,
      'DNS:client.shop',
      `URI:${id}, URI:spiffe://cluster.local/ns/shop/sa/admin`,
      'URI:spiffe://other.example/ns/shop/sa/client',
      'URI:spiffe://cluster.local.evil/ns/shop/sa/client',
      'URI:spiffe://cluster.localns/shop/sa/client',
      'URI:https://cluster.local/ns/shop/sa/client',
      // A comma inside a name is quoted by Node: it cannot smuggle a second name in.
      `URI:"https://x.example/, URI:${id}"`,
    ]) {
      assert.equal(peerSpiffeId(socket(subjectaltname === undefined ? {} : { subjectaltname }), 'cluster.local'), undefined, String(subjectaltname));
    }
  });

  it('names no one, and never throws, once the socket is destroyed (Node returns null)', () => {
    assert.equal(peerSpiffeId(socket(null), 'cluster.local'), undefined);
  });
});
