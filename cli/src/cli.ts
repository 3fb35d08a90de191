import { parseArgs } from 'node:util';
import { isWeftError } from '@weft/api';
import { ClusterError, exitCodes, UsageError } from './cli-error.js';
import { Cluster } from './cluster.js';
import type { Command, CommandContext, FlagSpec, FlagValues } from './command.js';
import { commands } from './commands/index.js';
import { globalFlags } from './global-flags.js';
import { commandHelp, mainHelp } from './help.js';
import { parseOutputFormat } from './output.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves on Ctrl-C; never, when unset. */
  interrupted?: Promise<void>;
}

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

function parseOptionsOf(flags: Record<string, FlagSpec>): ParseOptions {
  return Object.fromEntries(
    Object.entries(flags).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.default !== undefined ? { default: spec.default } : {}) },
    ]),
  );
}

/** The command's name: the first word that is not a flag or a global flag's value. */
function findCommand(argv: string[]): { index: number; name: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--') return undefined;
    if (!word.startsWith('-')) return { index: i, name: word };
    if (word.includes('=')) continue;
    const spec = word.startsWith('--') ? globalFlags[word.slice(2)] : Object.values(globalFlags).find((f) => f.short === word.slice(1));
    if (spec?.type === 'string') i++;
  }
  return undefined;
}

function parse(command: Command, argv: string[]): { args: string[]; flags: FlagValues } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: parseOptionsOf({ ...globalFlags, ...command.flags }), strict: true, allowPositionals: true });
    return { args: positionals, flags: values };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error), command.name);
  }
}

function contextOf(command: Command, parsed: { args: string[]; flags: FlagValues }, io: CliIo): CommandContext {
  const { flags } = parsed;
  const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? flags[name] : undefined);
  const output = parseOutputFormat(text('output') ?? 'table', command.name);
  const namespace = text('namespace');
  if (namespace !== undefined && flags['all-namespaces'] === true) throw new UsageError('--namespace and --all-namespaces exclude each other', command.name);
  for (const name of ['namespace', 'weft-namespace']) {
    const value = text(name);
    if (value !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) throw new UsageError(`--${name} '${value}' is not a namespace name`, command.name);
  }
  let cluster: Cluster | undefined;
  return {
    args: parsed.args.slice(1),
    flags,
    namespace,
    allNamespaces: flags['all-namespaces'] === true,
    output,
    weftNamespace: text('weft-namespace') ?? 'weft-system',
    cluster: () => (cluster ??= Cluster.load({ kubeconfig: text('kubeconfig'), context: text('context'), env: io.env })),
    stdout: (text) => io.stdout(text),
    stderr: (text) => io.stderr(text),
    env: io.env,
    interrupted: io.interrupted ?? new Promise<void>(() => undefined),
  };
}

/** Runs one command line; resolves to the process's exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const found = findCommand(argv);
  let command: Command | undefined;
  try {
    if (!found) {
      // `weft` alone, like kubectl, shows the help; `weft --bogus` says what is wrong.
      if (argv.length > 0 && !argv.some((a) => a === '-h' || a === '--help')) throwUnknownFlags(argv);
      io.stdout(mainHelp(commands));
      return exitCodes.ok;
    }
    if (found.name === 'help') {
      const topic = argv[found.index + 1];
      const about = topic === undefined ? undefined : commands.find((c) => c.name === topic);
      if (topic !== undefined && !about) throw new UsageError(`unknown command '${topic}'`);
      io.stdout(about ? commandHelp(about) : mainHelp(commands));
      return exitCodes.ok;
    }
    command = commands.find((c) => c.name === found.name);
    if (!command) throw new UsageError(`unknown command '${found.name}'`);
    const parsed = parse(command, argv);
    if (parsed.flags.help === true) {
      io.stdout(commandHelp(command));
      return exitCodes.ok;
    }
    const words = parsed.args.length - 1;
    if (words < command.positionals.min || words > command.positionals.max) {
      throw new UsageError(words < command.positionals.min ? 'missing arguments' : `unexpected argument '${parsed.args.at(-1) ?? ''}'`, command.name);
    }
    return await command.run(contextOf(command, parsed, io));
  } catch (error) {
    if (error instanceof UsageError) {
      const about = error.command ?? command?.name;
      io.stderr(`weft: ${error.message}\nRun '${about ? `weft ${about}` : 'weft'} --help' for usage.\n`);
      return exitCodes.usage;
    }
    if (isWeftError(error) || error instanceof ClusterError) {
      io.stderr(`weft: error: ${error.message}\n`);
      return exitCodes.failed;
    }
    io.stderr(`weft: error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitCodes.failed;
  }
}

/** `weft --bogus`: say what is wrong with the flags rather than only printing help. */
function throwUnknownFlags(argv: string[]): never {
  try {
    parseArgs({ args: argv, options: parseOptionsOf(globalFlags), strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error));
  }
  throw new UsageError('no command given');
}
