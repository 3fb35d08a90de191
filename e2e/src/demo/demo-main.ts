// demo: `make demo` (up) and `make demo-down` (down).
import { isWeftError } from '@weft/api';
import { demoDown, demoUp } from './demo.js';

const usage = `Usage: demo up|down

  up     a local two-node cluster with Weft and a sample app; prints where the UI is
  down   removes the cluster and everything the demo made
`;

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
    process.stderr.write(`demo ${command}: ${isWeftError(error) || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
