/**
 * An error the app shows to the person using it, with a stable code. It mirrors
 * `WeftError` of @weft/api, which cannot be imported here without pulling the package's
 * Node-only modules (gRPC stubs) into the bundle through its index.
 */
export class UiError extends Error {
  readonly code: `WEFT_UI_${string}`;

  constructor(code: `WEFT_UI_${string}`, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UiError';
    this.code = code;
  }
}
