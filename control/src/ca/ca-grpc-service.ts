import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ca as wire } from '@weft/api';
import { bearerToken, Refusal, refusalStatus } from '../auth/refusal.js';
import type { CertificateAuthority } from './certificate-authority.js';

/** The CertificateAuthority gRPC service (contract: api/proto/weft/ca/v1/ca.proto). */
export function certificateAuthorityService(authority: CertificateAuthority): wire.CertificateAuthorityServer {
  return {
    certify(call: ServerUnaryCall<wire.CertifyRequest, wire.CertifyResponse>, callback: sendUnaryData<wire.CertifyResponse>): void {
      const token = call.request.token || bearerToken(call.metadata.get('authorization'));
      authority
        .certify({ csrPem: call.request.csrPem, token })
        .then(
          (svid) => callback(null, { certificateChainPem: svid.chainPem, notAfterUnixSeconds: BigInt(Math.floor(svid.notAfter.getTime() / 1000)) }),
          (error: unknown) => {
            if (error instanceof Refusal) callback({ code: refusalStatus[error.kind], details: `${error.code}: ${error.message}` });
            else callback({ code: status.INTERNAL, details: 'WEFT_CA_INTERNAL: the CA failed; see its log' });
          },
        )
        // A failure inside a callback must not become an unhandled rejection.
        .catch(() => undefined);
    },
  };
}
