import type { Command, FlagSpec } from './command.js';
import { globalFlags } from './global-flags.js';

function flagLines(flags: Record<string, FlagSpec>): string[] {
  const left = Object.entries(flags).map(([name, spec]) => `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return Object.values(flags).map((spec, i) => {
    const fallback = spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : '';
    return `  ${(left[i] ?? '').padEnd(width)}   ${spec.help}${fallback}`;
  });
}

export function commandHelp(command: Command): string {
  const lines = [command.description, '', 'Usage:', `  ${command.usage}`, ''];
  if (Object.keys(command.flags).length > 0) lines.push('Flags:', ...flagLines(command.flags), '');
  lines.push('Global flags:', ...flagLines(globalFlags), '');
  if (command.examples.length > 0) lines.push('Examples:', ...command.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

export function mainHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'weft: look after a Weft mesh — check it, see its traffic, enroll namespaces.',
    '',
    'Usage:',
    '  weft COMMAND [ARGS] [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`),
    '',
    'Global flags:',
    ...flagLines(globalFlags),
    '',
    "Run 'weft COMMAND --help' for a command's flags and examples.",
    'Exit codes: 0 success, 1 a check or an operation failed, 2 the command line is wrong.',
    '',
  ].join('\n');
}
