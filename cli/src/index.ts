export { runCli, type CliIo } from './cli.js';
export { commands } from './commands/index.js';
