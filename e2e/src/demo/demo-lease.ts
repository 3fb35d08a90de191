import { readFileSync } from 'node:fs';
import { acquireTestbedLease } from '../testbed/testbed-lease.js';
import { env } from './demo-config.js';

/** The parent's PID, from /proc/<pid>/stat (field 4, after the command name in parentheses). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(parent) && parent > 0 ? parent : undefined;
  } catch {
    return undefined;
  }
}

function isAncestor(pid: number): boolean {
  for (let at = parentOf(process.pid); at !== undefined; at = parentOf(at)) if (at === pid) return true;
  return false;
}

/**
 * The testbed lease for `make demo` and `make demo-down`, so that neither pulls a cluster
 * from under an e2e suite. When the process that started us holds it already (the demo's
 * e2e test, which keeps it from `make demo` to `make demo-down`), taking it again would
 * wait for ourselves: that holder's lease is ours.
 */
export async function acquireDemoLease(): Promise<() => void> {
  const holder = Number(process.env[env.WEFT_DEMO_LEASE_HOLDER]);
  if (Number.isInteger(holder) && holder > 1 && isAncestor(holder)) return () => undefined;
  return acquireTestbedLease();
}
