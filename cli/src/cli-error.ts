import { WeftError } from '@weft/api';

/** A command line that cannot be run as written: exit code 2, with the command's usage. */
export class UsageError extends WeftError {
  /** The command whose help to point at; undefined for `weft` itself. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super('WEFT_CLI_USAGE', message);
    this.command = command;
  }
}

/** What the CLI asked the cluster (or a Weft component) and could not get. */
export class ClusterError extends WeftError {
  /** The HTTP status the API server answered, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number; hint?: string; cause?: unknown } = {}) {
    super(options.status === undefined ? 'WEFT_CLI_UNREACHABLE' : 'WEFT_CLI_REFUSED', message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.status = options.status;
  }
}

/** Exit codes, as kubectl and linkerd use them. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;
