/** Runs every step even when some fail; returns the failures. */
export function collectFailures(steps: (() => void)[]): unknown[] {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      step();
    } catch (error) {
      failures.push(error);
    }
  }
  return failures;
}

/** The async twin: runs the steps one after another, every one of them. */
export async function collectFailuresAsync(steps: (() => void | Promise<void>)[]): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  return failures;
}

/** Throws the single failure as it is, several as one AggregateError. */
export function throwFailures(failures: unknown[], message: string): void {
  if (failures.length === 1) throw failures[0] as Error;
  if (failures.length > 1) throw new AggregateError(failures, `${message}: ${failures.length} steps failed`);
}
