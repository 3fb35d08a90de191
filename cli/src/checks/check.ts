import { isWeftError } from '@weft/api';
import type { Cluster } from '../cluster.js';

export type CheckStatus = 'ok' | 'warning' | 'failed' | 'skipped';

/** One finding under a check (an agent, a node, a kernel feature). */
export interface CheckItem {
  description: string;
  status: Exclude<CheckStatus, 'skipped'>;
  hint?: string;
  detail?: string;
}

export interface CheckOutcome {
  status: Exclude<CheckStatus, 'skipped'>;
  /** What was found ("v1.34.4", "2 of 2 agents"). */
  detail?: string;
  /** Replaces the check's own hint when the outcome knows better. */
  hint?: string;
  items?: CheckItem[];
}

/** What checks read: the cluster, lazily, and a memo so checks share one API read. */
export interface CheckEnvironment {
  cluster(): Cluster;
  weftNamespace: string;
  env: NodeJS.ProcessEnv;
  /** The first call of `key` runs `read`; later calls get its promise. */
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
  /** Flags of `weft check` that checks read (paths the kernel probe is pointed at). */
  options: Record<string, string | undefined>;
}

/**
 * A check is data: what it verifies, what to do when it fails, which checks must pass
 * first, and how to test it. `weft check` prints them in order, by category.
 */
export interface Check {
  id: string;
  category: string;
  description: string;
  hint: string;
  /** Ids of checks that must have passed (else this one is skipped). */
  needs?: string[];
  run(env: CheckEnvironment): Promise<CheckOutcome>;
}

export interface CheckResult {
  id: string;
  category: string;
  description: string;
  status: CheckStatus;
  detail?: string;
  hint?: string;
  items?: CheckItem[];
}

/** An environment whose `once` remembers each read for as long as the environment lives. */
export function checkEnvironment(env: Omit<CheckEnvironment, 'once'>): CheckEnvironment {
  const memo = new Map<string, Promise<unknown>>();
  return {
    ...env,
    once: <T>(key: string, read: () => Promise<T>): Promise<T> => {
      let value = memo.get(key) as Promise<T> | undefined;
      if (!value) {
        value = read();
        memo.set(key, value);
      }
      return value;
    },
  };
}

/** Runs the checks in order; a thrown error fails that check with its message. Never throws. */
export async function runChecks(checks: Check[], env: Omit<CheckEnvironment, 'once'>, onResult: (result: CheckResult) => void = () => undefined): Promise<CheckResult[]> {
  const full = checkEnvironment(env);
  const results: CheckResult[] = [];
  const passed = new Set<string>();
  for (const check of checks) {
    const base = { id: check.id, category: check.category, description: check.description };
    let result: CheckResult;
    const blocked = (check.needs ?? []).find((id) => !passed.has(id));
    if (blocked !== undefined) {
      result = { ...base, status: 'skipped', detail: `needs '${blocked}'` };
    } else {
      try {
        const outcome = await check.run(full);
        result = { ...base, ...outcome };
        if (outcome.status !== 'ok' && outcome.hint === undefined) result.hint = check.hint;
      } catch (error) {
        // A Weft error's own hint knows more than the check's.
        const hint = isWeftError(error) && error.hint ? error.hint : check.hint;
        const message = error instanceof Error ? error.message : String(error);
        result = { ...base, status: 'failed', detail: message.endsWith(` (hint: ${hint})`) ? message.slice(0, -` (hint: ${hint})`.length) : message, hint };
      }
    }
    if (result.status === 'ok' || result.status === 'warning') passed.add(check.id);
    results.push(result);
    onResult(result);
  }
  return results;
}

const marks: Record<CheckStatus, string> = { ok: '√', warning: '‼', failed: '×', skipped: '-' };

/** One result as `weft check` prints it; a category heading before its first check. */
export function renderResult(result: CheckResult, previous: CheckResult | undefined): string {
  const lines: string[] = [];
  if (previous?.category !== result.category) lines.push(...(previous ? [''] : []), result.category, '-'.repeat(result.category.length));
  lines.push(`${marks[result.status]} ${result.description}${result.detail ? ` (${firstLine(result.detail)})` : ''}`);
  for (const item of result.items ?? []) {
    lines.push(`    ${marks[item.status]} ${item.description}${item.detail ? ` (${firstLine(item.detail)})` : ''}`);
    if (item.status !== 'ok' && item.hint) lines.push(`        hint: ${item.hint}`);
  }
  if ((result.status === 'failed' || result.status === 'warning') && result.hint) lines.push(`    hint: ${result.hint}`);
  return `${lines.join('\n')}\n`;
}

export function renderSummary(results: CheckResult[]): string {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  const parts = [`${count('ok')} passed`, `${failed} failed`, `${count("warning")} warning(s)`, `${count('skipped')} skipped`];
  return `\nStatus: ${failed === 0 ? 'all checks passed' : 'some checks failed'} (${parts.join(', ')})\n`;
}

const firstLine = (text: string): string => text.split('\n')[0] ?? '';
