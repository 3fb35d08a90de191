import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { probeOnce, type ProbeSpec } from './probe.js';

const podExec = fileURLToPath(new URL('../../scripts/pod-exec.sh', import.meta.url));

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  name: string;
  image: string;
  argv: string[];
  env: Record<string, string>;
  mounts: Mount[];
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface ContainerState {
  name: string;
  image: string;
  pid: number | undefined;
  running: boolean;
  ready: boolean;
  restartCount: number;
  startedAt: Date | undefined;
  exitCode: number | undefined;
  finishedAt: Date | undefined;
}

interface PodRuntimeOptions {
  podDir: string;
  cgroup: string;
  netnsPath: string;
  podIp: string;
  restartPolicy: RestartPolicy;
  containers: ContainerSpec[];
  /** Called whenever a container's state or readiness changes. */
  onChange: () => void;
}

/**
 * The processes of one emulated pod: started through scripts/pod-exec.sh, restarted by
 * the pod's restart policy, probed for readiness and liveness, stopped with SIGTERM, a
 * grace period and SIGKILL — always by the PIDs this runtime started.
 */
export class PodRuntime {
  readonly #options: PodRuntimeOptions;
  readonly #states = new Map<string, ContainerState>();
  readonly #children = new Map<string, ChildProcess>();
  #stopping = false;

  constructor(options: PodRuntimeOptions) {
    this.#options = options;
    for (const c of options.containers) {
      this.#states.set(c.name, { name: c.name, image: c.image, pid: undefined, running: false, ready: false, restartCount: 0, startedAt: undefined, exitCode: undefined, finishedAt: undefined });
    }
  }

  start(): void {
    for (const container of this.#options.containers) {
      this.#launch(container);
      for (const [kind, spec] of [['readiness', container.readiness], ['liveness', container.liveness]] as const) {
        if (spec) this.#probeLoop(container, spec, kind).catch(() => undefined);
      }
    }
  }

  states(): ContainerState[] {
    return [...this.#states.values()].map((s) => ({ ...s }));
  }

  /** True when every container ended and none will be restarted. */
  finished(): boolean {
    return !this.#stopping && [...this.#states.values()].every((s) => !s.running && !this.#willRestart(s));
  }

  async stop(graceSeconds: number): Promise<void> {
    this.#stopping = true;
    const alive = [...this.#children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = alive.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
    for (const child of alive) if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    const all = Promise.all(exited);
    const timedOut = await Promise.race([all.then(() => false), sleep(graceSeconds * 1000).then(() => true)]);
    if (timedOut) {
      for (const child of alive) if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await all;
    }
  }

  #running(name: string): boolean {
    return this.#states.get(name)?.running === true;
  }

  #willRestart(state: ContainerState): boolean {
    const policy = this.#options.restartPolicy;
    return policy === 'Always' || (policy === 'OnFailure' && state.exitCode !== 0);
  }

  #launch(container: ContainerSpec): void {
    const { podDir, cgroup, netnsPath } = this.#options;
    const mountsFile = join(podDir, `${container.name}.mounts`);
    writeFileSync(mountsFile, container.mounts.map((m) => `${m.source} ${m.target} ${m.readOnly ? 'ro' : 'rw'}\n`).join(''));
    const log = openSync(join(podDir, `${container.name}.log`), 'a');
    const child = spawn(podExec, [cgroup, netnsPath, mountsFile, '--', ...container.argv], { stdio: ['ignore', log, log], env: container.env });
    closeSync(log);
    const state = this.#states.get(container.name);
    if (!state) return;
    this.#children.set(container.name, child);
    Object.assign(state, { pid: child.pid, running: true, ready: !container.readiness, startedAt: new Date(), exitCode: undefined, finishedAt: undefined });
    this.#options.onChange();
    child.once('exit', (code, signal) => {
      Object.assign(state, { running: false, ready: false, exitCode: code ?? (signal ? 128 + 9 : 1), finishedAt: new Date(), pid: undefined });
      this.#options.onChange();
      if (this.#stopping || !this.#willRestart(state)) return;
      // A simple back-off: one second per restart so far, at most ten.
      setTimeout(() => {
        if (this.#stopping) return;
        state.restartCount++;
        this.#launch(container);
      }, Math.min(10, state.restartCount + 1) * 1000).unref();
    });
  }

  /**
   * One loop per probe, as the kubelet runs them: each waits its own initial delay after
   * every (re)start of the container and probes at its own period. Readiness turns false
   * after failureThreshold failures and true after successThreshold successes; liveness
   * kills the container after failureThreshold failures.
   */
  async #probeLoop(container: ContainerSpec, spec: ProbeSpec, kind: 'readiness' | 'liveness'): Promise<void> {
    const state = this.#states.get(container.name);
    if (!state) return;
    let seenStart: Date | undefined;
    let failures = 0;
    let successes = 0;
    while (!this.#stopping) {
      if (!state.running) {
        await sleep(200);
        continue;
      }
      if (state.startedAt !== seenStart) {
        seenStart = state.startedAt;
        failures = 0;
        successes = 0;
        await sleep(spec.initialDelaySeconds * 1000);
        continue;
      }
      const ok = await probeOnce(this.#options.netnsPath, this.#options.podIp, spec);
      failures = ok ? 0 : failures + 1;
      successes = ok ? successes + 1 : 0;
      if (kind === 'readiness') {
        const ready = state.ready ? failures < spec.failureThreshold : successes >= spec.successThreshold;
        // Read afresh: the container may have stopped while the probe was in flight.
        if (ready !== state.ready && this.#running(container.name)) {
          state.ready = ready;
          this.#options.onChange();
        }
      } else if (failures >= spec.failureThreshold) {
        failures = 0;
        const child = this.#children.get(container.name);
        // Only a child still running: its PID may belong to someone else once reaped.
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await sleep(spec.periodSeconds * 1000);
    }
  }
}
