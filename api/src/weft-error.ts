/** What every Weft error carries beyond a message. */
export interface WeftErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /** What the user can do about it, in one sentence. */
  hint?: string;
}

/**
 * The base of every error Weft raises on purpose. `code` is stable (`WEFT_<AREA>_<REASON>`)
 * so callers branch on it, never on message text; edges (gRPC, HTTP, CLI) map codes to
 * their own status values.
 */
export class WeftError extends Error {
  readonly code: `WEFT_${string}`;
  readonly hint: string | undefined;

  constructor(code: `WEFT_${string}`, message: string, options: WeftErrorOptions = {}) {
    super(options.hint ? `${message} (hint: ${options.hint})` : message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `error` is a WeftError with the given code. */
export function isWeftError(error: unknown, code?: string): error is WeftError {
  return error instanceof WeftError && (code === undefined || error.code === code);
}
