import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const goldenDir = fileURLToPath(new URL('../testdata/golden/', import.meta.url));

/**
 * cli/testdata/golden/<name>: what the CLI must print. WEFT_UPDATE_GOLDEN=1 rewrites a file
 * after a meant change — and then fails, naming it, so an update run never passes: review
 * the diff and run again without it.
 */
export function assertGolden(name: string, actual: string, options: { dir?: string; update?: boolean } = {}): void {
  const file = join(options.dir ?? goldenDir, name);
  const expected = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (options.update ?? process.env.WEFT_UPDATE_GOLDEN === '1') {
    if (actual === expected) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    assert.fail(`rewrote golden file ${file}: review the diff, then run the tests again without WEFT_UPDATE_GOLDEN`);
  }
  assert.ok(expected !== undefined, `golden file ${file} is missing: run the test with WEFT_UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, expected, `output differs from ${file} (WEFT_UPDATE_GOLDEN=1 rewrites it after a meant change)`);
}
