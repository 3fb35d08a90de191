import { WeftError } from '@weft/api';

/**
 * Why the CA refused, in the terms of its callers: the gRPC edge maps each kind to a
 * status code (unauthenticated → UNAUTHENTICATED, …); nothing inside knows gRPC.
 */
export type RefusalKind = 'unauthenticated' | 'permission-denied' | 'invalid-argument' | 'unavailable';

export class CaRefusal extends WeftError {
  readonly kind: RefusalKind;

  constructor(kind: RefusalKind, code: `WEFT_CA_${string}`, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(code, message, options);
    this.kind = kind;
  }
}
