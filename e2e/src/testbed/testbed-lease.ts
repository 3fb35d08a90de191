import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { progress } from './shell.js';

/**
 * One testbed at a time on a machine: e2e suites that each bring one up take this lease
 * first, so a parallel test run waits instead of tearing down another suite's cluster.
 * A lease whose holder died is taken over.
 */
const leaseDir = '/run/weft-testbed.lease';

function holder(): number | undefined {
  try {
    const pid = Number(readFileSync(`${leaseDir}/pid`, 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export async function acquireTestbedLease(timeoutMs = 30 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(leaseDir, { mode: 0o700 });
      writeFileSync(`${leaseDir}/pid`, String(process.pid));
      return () => rmSync(leaseDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = holder();
    if (pid === undefined) {
      // The holder is gone (or has not written its PID yet: give it a moment first).
      await sleep(500);
      if (holder() === undefined) rmSync(leaseDir, { recursive: true, force: true });
      continue;
    }
    if (pid === process.pid) throw new Error('this process already holds the testbed lease');
    if (Date.now() > deadline) throw new Error(`the testbed is held by PID ${pid} for more than ${timeoutMs / 60_000} minutes`);
    if (!told) progress(`waiting for the testbed: PID ${pid} is using it`);
    told = true;
    await sleep(1000);
  }
}
