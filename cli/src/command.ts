import type { Cluster } from './cluster.js';
import type { OutputFormat } from './output.js';

/** A flag of a command, as node:util parseArgs takes it, with its help line. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** The value's name in help ("SECONDS"); string flags only. */
  value?: string;
  help: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/** What every command gets: its words and flags, the global settings, and where to write. */
export interface CommandContext {
  /** The positional words after the command's name. */
  args: string[];
  flags: FlagValues;
  /** -n: undefined unless given (commands choose their own default). */
  namespace: string | undefined;
  allNamespaces: boolean;
  output: OutputFormat;
  /** Where Weft is installed (--weft-namespace, default weft-system). */
  weftNamespace: string;
  /** The cluster of --kubeconfig/--context, loaded when a command first asks. */
  cluster(): Cluster;
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user interrupts (Ctrl-C): long-running commands stop then. */
  interrupted: Promise<void>;
}

export interface Command {
  name: string;
  /** One line for `weft --help`. */
  summary: string;
  /** "weft stat (deploy|pod|ns) [NAME]" */
  usage: string;
  description: string;
  examples: string[];
  flags: Record<string, FlagSpec>;
  /** How many positional words it takes. */
  positionals: { min: number; max: number };
  /** Resolves to the exit code. */
  run(context: CommandContext): Promise<number>;
}
