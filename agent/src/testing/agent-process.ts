import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeftError } from '@weft/api';
import { captureObjectPath, repoRoot } from './paths.js';

/** The built `weft-agent` binary of this checkout. */
export const agentMainPath = `${repoRoot}agent/dist/main.js`;

export interface AgentProcessOptions {
  node: string;
  /** Admin HTTP on 127.0.0.1:<adminPort> (/readyz, /debug/state, /metrics). */
  adminPort: number;
  cgroupPath: string;
  pinRoot: string;
  staticConfigPath: string;
  caAddress: string;
  caServerName: string;
  trustBundlePath: string;
  tokenPath: string;
  /** Opt-in: a folder where the agent writes a V8 CPU profile (`--cpu-prof`) when it exits. */
  cpuProfileDir?: string | undefined;
  /** Opt-in: extra Node/V8 flags for the agent process (before its script), for comparing runtime settings. */
  nodeFlags?: readonly string[] | undefined;
  /** WEFT_STOP_MODE (default release: a test's or bench's agent leaves nothing behind). */
  stopMode?: 'auto' | 'leave' | 'release';
  /** WEFT_DRAIN_SECONDS (default the agent's). */
  drainSeconds?: number;
  /** WEFT_SUCCESSOR_WAIT_SECONDS (default the agent's). */
  successorWaitSeconds?: number;
}

export interface AgentDebugState {
  version: string;
  enrolled: { uid: string; identity: string; certificateExpiry?: string }[];
}

const keptLogLines = 200;

/**
 * One `weft-agent` process (agent/dist/main.js), configured only through its WEFT_*
 * settings, so what it costs (CPU, RSS) is measured on its own PID. Stopped by PID only.
 */
export class AgentProcess {
  readonly node: string;
  readonly #child: ChildProcess;
  readonly #adminUrl: string;
  readonly #log: string[] = [];
  readonly #complaints: string[] = [];
  #complaintCount = 0;

  private constructor(node: string, child: ChildProcess, adminPort: number) {
    this.node = node;
    this.#child = child;
    this.#adminUrl = `http://127.0.0.1:${adminPort}`;
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      this.#log.push(...lines);
      for (const line of lines) this.#noteComplaint(line);
      if (this.#log.length > keptLogLines) this.#log.splice(0, this.#log.length - keptLogLines);
    });
  }

  static start(options: AgentProcessOptions): AgentProcess {
    // Only the agent's own settings: nothing WEFT_* of the bench's environment leaks in.
    const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WEFT_')));
    const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=weft-agent-${options.node}.cpuprofile`];
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...profile, agentMainPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...environment,
        WEFT_NODE_NAME: options.node,
        WEFT_STATIC_CONFIG: options.staticConfigPath,
        WEFT_CA_ADDRESS: options.caAddress,
        WEFT_CA_SERVER_NAME: options.caServerName,
        WEFT_TRUST_BUNDLE: options.trustBundlePath,
        WEFT_TOKEN_PATH: options.tokenPath,
        WEFT_CGROUP_PATH: options.cgroupPath,
        WEFT_PIN_ROOT: options.pinRoot,
        WEFT_BPF_OBJECT: captureObjectPath,
        WEFT_ADMIN_ADDRESS: `127.0.0.1:${options.adminPort}`,
        WEFT_LOG_LEVEL: 'info',
        WEFT_STOP_MODE: options.stopMode ?? 'release',
        ...(options.drainSeconds === undefined ? {} : { WEFT_DRAIN_SECONDS: String(options.drainSeconds) }),
        ...(options.successorWaitSeconds === undefined ? {} : { WEFT_SUCCESSOR_WAIT_SECONDS: String(options.successorWaitSeconds) }),
      },
    });
    return new AgentProcess(options.node, child, options.adminPort);
  }

  get pid(): number {
    const { pid } = this.#child;
    if (pid === undefined) throw new WeftError('WEFT_BENCH_AGENT_FAILED', `weft-agent of ${this.node} did not start: ${this.logTail()}`);
    return pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The agent's last log lines (JSON, one per line), for error messages. */
  logTail(lines = 20): string {
    return this.#log.slice(-lines).join('\n');
  }

  /** Waits for /readyz to answer 200 (the first mesh state applied). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    await this.#until(timeoutMs, 'ready (/readyz)', async () => (await this.#get('/readyz'))?.status === 200);
  }

  async debugState(): Promise<AgentDebugState> {
    const response = await this.#get('/debug/state');
    if (response?.status !== 200) throw new WeftError('WEFT_BENCH_AGENT_FAILED', `weft-agent of ${this.node}: /debug/state answered ${response?.status ?? 'nothing'}`);
    return JSON.parse(response.body) as AgentDebugState;
  }

  /** The sum of a Prometheus counter's series on /metrics whose labels include `labels`. */
  async metricTotal(name: string, labels: Record<string, string> = {}): Promise<number> {
    const response = await this.#get('/metrics');
    if (response?.status !== 200) throw new WeftError('WEFT_BENCH_AGENT_FAILED', `weft-agent of ${this.node}: /metrics answered ${response?.status ?? 'nothing'}`);
    let total = 0;
    for (const line of response.body.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  /** Asks the agent to re-read its static config (SIGHUP), then waits until it runs `version` with `enrolled` pods. */
  async reloadTo(version: string, enrolled: number, timeoutMs = 60_000): Promise<void> {
    process.kill(this.pid, 'SIGHUP');
    await this.#until(timeoutMs, `mesh state ${version} with ${enrolled} enrolled pods`, async () => {
      const state = await this.debugState();
      return state.version === version && state.enrolled.length === enrolled && state.enrolled.every((w) => w.certificateExpiry !== undefined);
    });
  }

  /** Asks for a full garbage collection (SIGUSR2; the agent must run with --expose-gc). */
  collectGarbage(): void {
    process.kill(this.pid, 'SIGUSR2');
  }

  /** How many warn and error lines the agent logged, and the first few of them. */
  complaints(): { count: number; first: string[] } {
    return { count: this.#complaintCount, first: [...this.#complaints] };
  }

  /**
   * SIGTERM (the agent drains), SIGKILL if it has not exited in time. Says how it ended:
   * `exit 0` is a clean stop.
   */
  async stop(timeoutMs = 10_000): Promise<string> {
    if (this.#child.pid === undefined) return 'never started';
    if (!this.running) return `had already ended (${this.#child.exitCode ?? this.#child.signalCode ?? '?'})`;
    const exited = once(this.#child, 'exit');
    const started = performance.now();
    process.kill(this.#child.pid, 'SIGTERM');
    const outcome = { killed: false };
    const timer = setTimeout(() => {
      if (this.running && this.#child.pid !== undefined) {
        outcome.killed = true;
        process.kill(this.#child.pid, 'SIGKILL');
      }
    }, timeoutMs);
    await exited;
    clearTimeout(timer);
    const ms = Math.round(performance.now() - started);
    return outcome.killed ? `did not stop within ${timeoutMs} ms of SIGTERM: killed` : `exit ${this.#child.exitCode ?? this.#child.signalCode ?? '?'} after ${ms} ms`;
  }

  #noteComplaint(line: string): void {
    let record: { level?: unknown; msg?: unknown; error?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      record = line.trim() ? { level: 'error', msg: line } : {};
    }
    if (record.level !== 'warn' && record.level !== 'error') return;
    this.#complaintCount++;
    if (this.#complaints.length < 5) this.#complaints.push(line.slice(0, 400));
  }

  async #until(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new WeftError('WEFT_BENCH_AGENT_FAILED', `weft-agent of ${this.node} exited (${this.#child.exitCode ?? this.#child.signalCode ?? '?'}) before it was ${what}:\n${this.logTail()}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new WeftError('WEFT_BENCH_AGENT_FAILED', `weft-agent of ${this.node} was not ${what} within ${timeoutMs} ms:\n${this.logTail()}`);
      await sleep(100);
    }
  }

  async #get(path: string): Promise<{ status: number; body: string } | undefined> {
    try {
      const response = await fetch(`${this.#adminUrl}${path}`, { signal: AbortSignal.timeout(2000) });
      return { status: response.status, body: await response.text() };
    } catch {
      return undefined;
    }
  }
}
