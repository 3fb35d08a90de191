// testbed: the Kubernetes testbed by hand. `make testbed-up` / `make testbed-down` wrap it.
import { parseArgs } from 'node:util';
import { isWeftError } from '@weft/api';
import { down, status, up } from './testbed/testbed.js';
import { paths } from './testbed/testbed-config.js';

const usage = `Usage: testbed <command> [options]

Commands:
  up [--nodes N]   start etcd, the Kubernetes control plane and N emulated nodes (default 2)
  down             stop everything the testbed started and remove what it made
  status           show which components run (-o json for JSON)
  kubeconfig       print the path of the admin kubeconfig

Options:
  -h, --help       show this help
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { nodes: { type: 'string' }, output: { type: 'string', short: 'o', default: 'table' }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    process.stderr.write(`testbed: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    (values.help ? process.stdout : process.stderr).write(usage);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) {
    process.stderr.write(`testbed: unexpected argument '${rest[0] ?? ''}'\n\n${usage}`);
    return 2;
  }
  switch (command) {
    case 'up': {
      const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
      const result = await up(nodes === undefined ? {} : { nodes });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    case 'down':
      await down();
      return 0;
    case 'status': {
      const s = await status();
      if (values.output === 'json') process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else {
        for (const [name, running] of Object.entries(s.components)) process.stdout.write(`${running ? '✔' : '✘'} ${name}\n`);
        process.stdout.write(`apiserver ready: ${s.apiserverReady ? 'yes' : 'no'}\nnamespaces: ${s.namespaces.join(' ') || 'none'}\n`);
      }
      return s.apiserverReady ? 0 : 1;
    }
    case 'kubeconfig':
      process.stdout.write(`${paths.kubeconfig}\n`);
      return 0;
    default:
      process.stderr.write(`testbed: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`testbed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = isWeftError(error, 'WEFT_TESTBED_BAD_FLAG') ? 2 : 1;
  },
);
