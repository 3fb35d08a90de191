/**
 * Environment settings of Weft's binaries: each binary declares its WEFT_* variables once,
 * with a default and a help line; `--help` prints them and reading goes through here.
 */
export interface SettingSpec {
  default: string;
  help: string;
}

export type SettingSpecs = Readonly<Record<string, SettingSpec>>;

/** The value of a setting: the environment's (trimmed, if not empty), else its default. */
export function settingReader<S extends SettingSpecs>(specs: S, environment: NodeJS.ProcessEnv): (name: keyof S & string) => string {
  return (name) => environment[name]?.trim() || (specs[name]?.default ?? '');
}

/** host:port (IPv6 in brackets), or a problem naming the setting. */
export function parseHostPort(name: string, value: string, problems: string[]): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port > 65535) {
    problems.push(`${name}=${value} must be host:port`);
    return { host: '', port: 0 };
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

export function settingsHelp(title: string, specs: SettingSpecs): string {
  const width = Math.max(...Object.keys(specs).map((n) => n.length));
  const lines = Object.entries(specs).map(([name, s]) => `  ${name.padEnd(width)}  ${s.help}${s.default ? ` (default ${s.default})` : ''}`);
  return `${title}\n\nSettings, from the environment:\n${lines.join('\n')}\n`;
}
