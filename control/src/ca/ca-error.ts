import { Refusal, type RefusalKind } from '../auth/refusal.js';

/** A refusal of the CA itself (the request, not the caller); the caller's checks are WEFT_AUTH_*. */
export class CaRefusal extends Refusal {
  constructor(kind: RefusalKind, code: `WEFT_CA_${string}`, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(kind, code, message, options);
  }
}
