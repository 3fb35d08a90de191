import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { WeftError } from '@weft/api';

const execFileAsync = promisify(execFile);

/** Runs a command, returns stdout; a failure carries the command and its stderr. */
export function run(command: string, args: string[], options: { input?: string } = {}): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(options.input ? { input: options.input } : {}) });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new WeftError('WEFT_TESTBED_COMMAND', `${command} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
}

export async function runAsync(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new WeftError('WEFT_TESTBED_COMMAND', `${command} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
}

/** Like run(), but a failure is ignored (for best-effort cleanup). */
export function tryRun(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Progress for long steps, on stderr so stdout stays machine-readable. */
export function progress(message: string): void {
  process.stderr.write(`[testbed] ${message}\n`);
}
