import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths, stateDir } from './testbed-config.js';

/** What e2e suites read of a pod. */
export interface Pod {
  metadata: { name: string; uid: string; namespace: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** kubectl against the running testbed (admin credentials). */
export function kubectlOf(kubectlPath: string): (args: string[], input?: string) => string {
  return (args, input) => execFileSync(kubectlPath, ['--kubeconfig', paths.kubeconfig, ...args], { encoding: 'utf8', ...(input ? { input } : {}) });
}

export function podsOf(kubectl: (args: string[]) => string, namespace: string, selector?: string): Pod[] {
  return (JSON.parse(kubectl(['get', 'pods', '-n', namespace, '-o', 'json', ...(selector ? ['-l', selector] : [])])) as { items: Pod[] }).items;
}

export const isReady = (p: Pod): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
}

/** The log of a pod's container, kept by the node emulator while the pod exists. */
export function containerLog(uid: string, container: string): string {
  return readFileSync(join(stateDir, 'pods', uid, `${container}.log`), 'utf8');
}
