import { readFileSync } from 'node:fs';
import { exitCodes } from '../cli-error.js';
import type { Command } from '../command.js';
import { renderData } from '../output.js';

export const cliVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const versionCommand: Command = {
  name: 'version',
  summary: "print the CLI's version",
  usage: 'weft version [flags]',
  description: "Prints the weft CLI's version.",
  examples: ['weft version', 'weft version -o json'],
  flags: {},
  positionals: { min: 0, max: 0 },
  run: (context) => {
    context.stdout(context.output === 'table' ? `weft ${cliVersion}\n` : renderData({ client: cliVersion }, context.output));
    return Promise.resolve(exitCodes.ok);
  },
};
