/**
 * Weft's binaries log one JSON object per line on stderr, so `kubectl logs` stays readable
 * and log pipelines need no parser. A field whose name says it is secret is never written:
 * keys and tokens must not reach a log even by mistake.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields`. */
  with(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const secretField = /key|token|secret|password/i;

export interface LoggerOptions {
  component: string;
  level?: LogLevel;
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
  now?: () => Date;
}

function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${value.message}` : value.message;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(rank, value);
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (rank[level] < threshold) return;
    const record: LogFields = { time: now().toISOString(), level, component: options.component, msg: message };
    for (const [name, value] of Object.entries({ ...bound, ...fields })) {
      record[name] = secretField.test(name) ? '[redacted]' : plain(value);
    }
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    with: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
