#!/usr/bin/env node
// weft: the mesh's command line. Only wiring: the process's streams, signals and exit code.
import { once } from 'node:events';
import { runCli } from './cli.js';

const interrupted = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]).then(() => undefined);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  interrupted,
});
// A pending signal listener must not keep the process alive once the command is done.
process.exit();
