import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** cli/testdata/golden/<name>: what the CLI must print; WEFT_UPDATE_GOLDEN=1 rewrites it after a meant change. */
export function assertGolden(name: string, actual: string): void {
  const file = fileURLToPath(new URL(`../testdata/golden/${name}`, import.meta.url));
  if (process.env.WEFT_UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing: run the test with WEFT_UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${file} (WEFT_UPDATE_GOLDEN=1 rewrites it after a meant change)`);
}
