import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ca as wire } from '@weft/api';
import { CaRefusal, type RefusalKind } from './ca-error.js';
import type { CertificateAuthority } from './certificate-authority.js';

/** The only place refusal kinds become gRPC status codes. */
const codes: Record<RefusalKind, status> = {
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'invalid-argument': status.INVALID_ARGUMENT,
  unavailable: status.UNAVAILABLE,
};

function bearer(call: ServerUnaryCall<wire.CertifyRequest, wire.CertifyResponse>): string {
  const header = call.metadata.get('authorization')[0];
  const value = typeof header === 'string' ? header : '';
  return value.startsWith('Bearer ') ? value.slice('Bearer '.length) : '';
}

/** The CertificateAuthority gRPC service (contract: api/proto/weft/ca/v1/ca.proto). */
export function certificateAuthorityService(authority: CertificateAuthority): wire.CertificateAuthorityServer {
  return {
    certify(call: ServerUnaryCall<wire.CertifyRequest, wire.CertifyResponse>, callback: sendUnaryData<wire.CertifyResponse>): void {
      const token = call.request.token || bearer(call);
      authority
        .certify({ csrPem: call.request.csrPem, token })
        .then(
          (svid) => callback(null, { certificateChainPem: svid.chainPem, notAfterUnixSeconds: BigInt(Math.floor(svid.notAfter.getTime() / 1000)) }),
          (error: unknown) => {
            if (error instanceof CaRefusal) callback({ code: codes[error.kind], details: `${error.code}: ${error.message}` });
            else callback({ code: status.INTERNAL, details: 'WEFT_CA_INTERNAL: the CA failed; see its log' });
          },
        )
        // A failure inside a callback must not become an unhandled rejection.
        .catch(() => undefined);
    },
  };
}
