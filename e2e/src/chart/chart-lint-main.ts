// make lint's chart step (and `make golden` with --update): see chart-check.ts.
import { checkChart } from './chart-check.js';

const update = process.argv.includes('--update');
const problems = checkChart({ update });
if (problems.length > 0) {
  process.stderr.write(`chart: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(update ? 'chart: golden files rewritten (review the diff)\n' : 'chart: lint, manifests and golden files ok\n');
