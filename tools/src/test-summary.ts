// Prints the plain closing line "tests: N passed, N failed[, N skipped]" from the TAP
// copy of a node --test run, so any CI reader finds the result in one place.
// Usage: node tools/dist/test-summary.js <results.tap>
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: test-summary <results.tap>\n');
  process.exit(2);
}
const tap = readFileSync(path, 'utf8');
const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
