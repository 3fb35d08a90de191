import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What one process has used so far: CPU (user + system) and its resident memory now. */
export interface ProcessUsage {
  cpuSeconds: number;
  rssBytes: number;
}

let ticksPerSecond: number | undefined;

/** Reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmRSS) of a live process. */
export function processUsage(pid: number): ProcessUsage {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || rss === undefined) throw new Error(`cannot read the usage of process ${pid} from /proc`);
  return { cpuSeconds: (utime + stime) / ticksPerSecond, rssBytes: Number(rss) * 1024 };
}
