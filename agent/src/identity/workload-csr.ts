import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bitString, integer, octetString, oid, sequence, set, tlv } from '@weft/api/der';

/** A workload's key pair, made on this node. The private key stays in this process. */
export interface WorkloadKey {
  privateKey: KeyObject;
  publicKeyDer: Buffer;
}

export function createWorkloadKey(): WorkloadKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }) };
}

/**
 * A PKCS#10 request in the form the CA accepts (api/proto/weft/ca/v1/ca.proto): empty
 * subject, the key, and one extension request whose only SAN is the SPIFFE ID URI.
 */
export function buildWorkloadCsr(spiffeId: string, key: WorkloadKey): string {
  const san = sequence(oid('2.5.29.17'), octetString(sequence(tlv(0x86, Buffer.from(spiffeId, 'ascii')))));
  const extensionRequest = sequence(oid('1.2.840.113549.1.9.14'), set(sequence(san)));
  const info = sequence(integer(Buffer.from([0])), sequence(), key.publicKeyDer, tlv(0xa0, extensionRequest));
  const signature = sign('sha256', info, key.privateKey);
  const der = sequence(info, sequence(oid('1.2.840.10045.4.3.2')), bitString(signature));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE REQUEST-----\n`;
}
