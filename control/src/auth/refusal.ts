import { status } from '@grpc/grpc-js';
import { WeftError } from '@weft/api';

/**
 * Why the control plane refused a caller, in the caller's terms: the gRPC edges map each
 * kind to a status code (refusalStatus); nothing inside knows gRPC.
 */
export type RefusalKind = 'unauthenticated' | 'permission-denied' | 'invalid-argument' | 'unavailable';

export class Refusal extends WeftError {
  readonly kind: RefusalKind;

  constructor(kind: RefusalKind, code: `WEFT_${string}`, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(code, message, options);
    this.kind = kind;
  }
}

/** The only place refusal kinds become gRPC status codes. */
export const refusalStatus: Readonly<Record<RefusalKind, status>> = {
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'invalid-argument': status.INVALID_ARGUMENT,
  unavailable: status.UNAVAILABLE,
};

/** The bearer token of gRPC metadata ("authorization: Bearer <token>"), or ''. */
export function bearerToken(values: readonly (string | Buffer)[]): string {
  const header = values[0];
  const value = typeof header === 'string' ? header : '';
  return value.startsWith('Bearer ') ? value.slice('Bearer '.length) : '';
}
