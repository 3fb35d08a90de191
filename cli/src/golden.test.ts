// The golden-file check itself: a mismatch fails, and so does an update run that rewrote a
// file (it must never pass silently); an update run with nothing to change passes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertGolden } from './golden.js';

describe('assertGolden', () => {
  it('fails on a difference, and on an update that rewrote the file; passes an update with nothing to change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-golden-'));
    try {
      writeFileSync(join(dir, 'out.txt'), 'old\n');
      assert.throws(() => assertGolden('out.txt', 'new\n', { dir, update: false }), /output differs/);
      assert.throws(() => assertGolden('out.txt', 'new\n', { dir, update: true }), /rewrote golden file .*out\.txt/);
      assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'new\n', 'rewritten');
      assertGolden('out.txt', 'new\n', { dir, update: true });
      assertGolden('out.txt', 'new\n', { dir, update: false });
      assert.throws(() => assertGolden('missing.txt', 'x', { dir, update: false }), /is missing/);
      assert.throws(() => assertGolden('new.txt', 'x', { dir, update: true }), /rewrote golden file/, 'a new file is a rewrite too');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
