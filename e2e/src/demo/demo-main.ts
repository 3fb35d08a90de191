// demo: `make demo` (up) and `make demo-down` (down).
import { demoDown, demoUp } from './demo.js';

const usage = `Usage: demo up|down

  up     a local two-node cluster with Weft and a sample app; prints where the UI is
  down   removes the cluster and everything the demo made (safe to run again)
`;

/** An error's message, its causes' and, for an AggregateError, each part's: what a user needs to act. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = error instanceof AggregateError ? error.errors.map((e) => `\n  - ${describe(e)}`).join('') : '';
  const cause = error.cause === undefined ? '' : `\n  because: ${describe(error.cause)}`;
  return `${error.message}${parts}${cause}`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help') {
    process.stdout.write(usage);
    return 0;
  }
  if ((command !== 'up' && command !== 'down') || rest.length > 0) {
    process.stderr.write(`demo: ${command === undefined ? 'no command given' : `unexpected '${[command, ...rest].join(' ')}'`}\n\n${usage}`);
    return 2;
  }
  try {
    await (command === 'up' ? demoUp() : demoDown());
    return 0;
  } catch (error) {
    process.stderr.write(`demo ${command}: ${describe(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
