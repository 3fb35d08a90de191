import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from './testbed-config.js';

/** A process the testbed started: its PID and the kernel's start time, so a reused PID is never killed. */
interface Started {
  pid: number;
  startTime: string;
  command: string;
}

/** A process's start time (field 22 of /proc/<pid>/stat), or undefined once it has exited (also while a zombie). */
export function startTimeOf(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited: it only waits for its parent to reap it.
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Starts a long-running component in the background (in a netns when given), logging to
 * logs/<name>.log, and records its PID under pids/ so that `down` (even from another
 * process, even after a crash) stops exactly the processes the testbed started.
 */
export function startComponent(name: string, command: string, args: string[], options: { netns?: string; env?: NodeJS.ProcessEnv } = {}): number {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.pids, { recursive: true });
  const log = openSync(join(paths.logs, `${name}.log`), 'a');
  const argv = options.netns ? ['nsenter', `--net=${options.netns}`, '--', command, ...args] : [command, ...args];
  const child = spawn(argv[0] ?? command, argv.slice(1), { detached: true, stdio: ['ignore', log, log], env: options.env ?? process.env });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  const record: Started = { pid, startTime: startTimeOf(pid) ?? '', command: argv.join(' ') };
  writeFileSync(join(paths.pids, `${name}.json`), JSON.stringify(record));
  return pid;
}

export function isRunning(name: string): boolean {
  const record = readRecord(name);
  return record !== undefined && startTimeOf(record.pid) === record.startTime;
}

function readRecord(name: string): Started | undefined {
  try {
    return JSON.parse(readFileSync(join(paths.pids, `${name}.json`), 'utf8')) as Started;
  } catch {
    return undefined;
  }
}

export function componentNames(): string[] {
  if (!existsSync(paths.pids)) return [];
  return readdirSync(paths.pids)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
}

/** SIGTERM, then SIGKILL after graceMs, for a recorded component (by PID and start time). */
export async function stopComponent(name: string, graceMs = 5000): Promise<void> {
  const record = readRecord(name);
  if (record && startTimeOf(record.pid) === record.startTime) {
    process.kill(record.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (startTimeOf(record.pid) === record.startTime && Date.now() < deadline) await sleep(50);
    if (startTimeOf(record.pid) === record.startTime) process.kill(record.pid, 'SIGKILL');
    while (startTimeOf(record.pid) === record.startTime) await sleep(20);
  }
  rmSync(join(paths.pids, `${name}.json`), { force: true });
}
