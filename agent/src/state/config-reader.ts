import type { NameRule } from '@weft/api';

export type JsonObject = Readonly<Record<string, unknown>>;

export interface FieldSet {
  required?: readonly string[];
  optional?: readonly string[];
}

/** `settings.trustDomain`, or `labels["app.kubernetes.io/name"]` for keys that are not plain words. */
export function fieldPath(path: string, name: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `${path}[${JSON.stringify(name)}]`;
  return path === '' ? name : `${path}.${name}`;
}

/** A value as a message shows it: JSON, cut short. */
export function show(value: unknown): string {
  // Parsed JSON holds no functions; undefined is the one value JSON.stringify cannot show.
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${show(value)}`;
}

/** The closest known name when it is a likely typo (at most two edits away). */
function closest(name: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
        next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
      }
      row = next;
    }
    return row[b.length] ?? Infinity;
  };
  const ranked = known.map((candidate) => ({ candidate, edits: distance(name, candidate) })).sort((a, b) => a.edits - b.edits);
  const best = ranked[0];
  return best && best.edits <= 2 ? best.candidate : undefined;
}

/**
 * Reads an untrusted JSON document field by field. Every problem is recorded with the
 * path to it and reading goes on, so one run reports all of them; a reader returns
 * undefined for a value it could not use. Readers take undefined silently: JSON has no
 * undefined, so it means a missing field, which `object` reports when it is required.
 */
export class ConfigReader {
  readonly problems: string[] = [];

  report(path: string, message: string): void {
    this.problems.push(`${path === '' ? '(top level)' : path}: ${message}`);
  }

  /** An object with only the given fields; unknown ones are refused so that typos do not pass. */
  object(value: unknown, path: string, fields: FieldSet): JsonObject | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.report(path, `expected an object, got ${kindOf(value)}`);
      return undefined;
    }
    const record = value as JsonObject;
    const required = fields.required ?? [];
    const known = [...required, ...(fields.optional ?? [])];
    for (const name of Object.keys(record)) {
      if (known.includes(name)) continue;
      const guess = closest(name, known);
      this.report(fieldPath(path, name), `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}; known fields: ${known.join(', ')}`);
    }
    for (const name of required) {
      if (record[name] === undefined) this.report(path, `"${name}" is required`);
    }
    return record;
  }

  string(value: unknown, path: string, rule?: NameRule): string | undefined {
    if (value === undefined) return undefined; // a missing required field, already reported by object()
    if (typeof value !== 'string') {
      this.report(path, `expected a string, got ${kindOf(value)}`);
      return undefined;
    }
    if (rule && !rule.test(value)) {
      this.report(path, `${show(value)} is not ${rule.expected}`);
      return undefined;
    }
    return value;
  }

  /** A string that must pass `convert`, which returns the value to keep (e.g. its canonical form). */
  converted<T>(value: unknown, path: string, convert: (text: string) => T | undefined, expected: string): T | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    const result = convert(text);
    if (result === undefined) this.report(path, `${show(text)} is not ${expected}`);
    return result;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    const found = allowed.find((candidate) => candidate === value);
    if (found === undefined) this.report(path, `${show(value)} is not one of ${allowed.join(', ')}`);
    return found;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value === 'boolean') return value;
    this.report(path, `expected true or false, got ${kindOf(value)}`);
    return undefined;
  }

  port(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    this.report(path, `${show(value)} is not a port (an integer 1-65535)`);
    return undefined;
  }

  /** The items that could be read; undefined when the value is not an array at all. */
  array<T>(value: unknown, path: string, item: (value: unknown, path: string) => T | undefined, options: { nonEmpty?: boolean } = {}): T[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.report(path, `expected an array, got ${kindOf(value)}`);
      return undefined;
    }
    if (options.nonEmpty && value.length === 0) this.report(path, 'must not be empty');
    return value.flatMap((entry: unknown, i) => {
      const read = item(entry, `${path}[${i}]`);
      return read === undefined ? [] : [read];
    });
  }

  /** An object used as a map: every key must pass `key`, every value is read by `item`. */
  map<T>(value: unknown, path: string, key: NameRule, item: (value: unknown, path: string) => T | undefined): Record<string, T> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.report(path, `expected an object, got ${kindOf(value)}`);
      return undefined;
    }
    const entries: [string, T][] = [];
    for (const [name, entry] of Object.entries(value)) {
      const at = fieldPath(path, name);
      if (!key.test(name)) this.report(at, `${show(name)} is not ${key.expected}`);
      const read = item(entry, at);
      if (read !== undefined) entries.push([name, read]);
    }
    // fromEntries defines own properties, so a key like "__proto__" cannot reach a prototype.
    return Object.fromEntries(entries);
  }
}
