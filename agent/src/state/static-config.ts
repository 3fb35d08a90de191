import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { WeftError } from '@weft/api';
import { ConfigReader } from './config-reader.js';
import { MeshIndex, type SnapshotList } from './mesh-index.js';
import type { MeshSnapshot } from './mesh-types.js';
import { declaredUids, readStaticConfig, type Located, type StaticConfigParts } from './static-config-schema.js';

/** Larger files are refused before parsing: a static config is hand-written, not a dump. */
export const maxStaticConfigBytes = 16 * 1024 * 1024;

const formatHint = 'the format is described in docs/static-config.md';
const shownProblems = 50;

/** The static config cannot be used; nothing was loaded. `problems` lists every one, path first. */
export class StaticConfigError extends WeftError {
  readonly source: string;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options: { code?: `WEFT_STATE_${string}`; cause?: unknown; hint?: string } = {}) {
    const shown = problems.slice(0, shownProblems).map((problem) => `\n  - ${problem}`).join('');
    const more = problems.length > shownProblems ? `\n  … and ${problems.length - shownProblems} more` : '';
    super(options.code ?? 'WEFT_STATE_BAD_CONFIG', `the static config ${source} cannot be used, ${problems.length} problem(s):${shown}${more}`, {
      cause: options.cause,
      hint: options.hint ?? `fix the fields named above; ${formatHint}`,
    });
    this.source = source;
    this.problems = problems;
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function tooBig(source: string, bytes: number): StaticConfigError {
  return new StaticConfigError(source, [`the file is ${mebibytes(bytes)}; a static config may be at most ${mebibytes(maxStaticConfigBytes)}`]);
}

/** "line 3, column 5: Expected ',' …" from V8's message, which gives a position (Node 20) or line and column (Node 22). */
function describeJsonError(error: SyntaxError, text: string): string {
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(error.message);
  const position = /at position (\d+)/.exec(error.message);
  const message = error.message.replace(/ in JSON at position \d+.*$| \(line \d+ column \d+\)/, '');
  if (lineColumn) return `line ${lineColumn[1] ?? '?'}, column ${lineColumn[2] ?? '?'}: ${message}`;
  if (!position) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${message}`;
}

/** Checks only a static config needs: there the author wrote every name, so a dangling one is a typo. */
function crossCheck(reader: ConfigReader, parts: StaticConfigParts, document: unknown): void {
  const byName = new Map<string, string>();
  for (const { item, path } of parts.workloads) {
    const name = `${item.namespace}/${item.name}`;
    const first = byName.get(name);
    if (first === undefined) byName.set(name, path);
    else reader.report(path, `workload ${name} is also declared at ${first}`);
  }
  const uids = declaredUids(document);
  for (const { item, path } of parts.services) {
    item.endpoints.forEach((uid, i) => {
      if (!uids.has(uid)) reader.report(`${path}.endpoints[${i}]`, `${JSON.stringify(uid)} is the uid of no workload in this file`);
    });
  }
}

/**
 * Reads a static config (JSON, see docs/static-config.md) into a snapshot that MeshState
 * accepts. `source` names the text in messages (a path, or "inline"). Throws a
 * StaticConfigError listing every problem found.
 */
export function parseStaticConfig(text: string, source: string): MeshSnapshot {
  const bytes = Buffer.byteLength(text);
  if (bytes > maxStaticConfigBytes) throw tooBig(source, bytes);
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new StaticConfigError(source, [`not valid JSON: ${describeJsonError(error, text.replace(/^\uFEFF/, ''))}`], { cause: error });
  }
  const reader = new ConfigReader();
  const parts = readStaticConfig(reader, document);
  crossCheck(reader, parts, document);
  const items = <T>(list: Located<T>[]): T[] => list.map(({ item }) => item);
  const snapshot: MeshSnapshot = {
    version: parts.version || createHash('sha256').update(text).digest('hex').slice(0, 12),
    settings: parts.settings,
    workloads: items(parts.workloads),
    services: items(parts.services),
    policies: items(parts.policies),
  };
  // The store's own checks (uids, IPs and service ports owned twice), pointed at this file.
  const located: Record<SnapshotList, Located<unknown>[]> = { workloads: parts.workloads, services: parts.services, policies: parts.policies };
  const index = new MeshIndex(snapshot, { pathOf: (list, i) => located[list][i]?.path ?? `${list}[?]` });
  const problems = [...reader.problems, ...index.problems];
  if (problems.length > 0) throw new StaticConfigError(source, problems);
  return snapshot;
}

/** Reads `path` without following it past the size limit (it may be a pipe or a huge file). */
function readLimited(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > maxStaticConfigBytes) throw tooBig(path, size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > maxStaticConfigBytes) throw tooBig(path, total);
    }
  } finally {
    closeSync(fd);
  }
}

export function loadStaticConfig(path: string): MeshSnapshot {
  let bytes: Buffer;
  try {
    bytes = readLimited(path);
  } catch (error) {
    if (error instanceof WeftError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new StaticConfigError(path, [`the file cannot be read (${reason})`], {
      code: 'WEFT_STATE_CONFIG_UNREADABLE',
      cause: error,
      hint: 'check the path given for the static config and that the agent may read it',
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new StaticConfigError(path, ['the file is not UTF-8 text'], { cause: error });
  }
  return parseStaticConfig(text, path);
}
