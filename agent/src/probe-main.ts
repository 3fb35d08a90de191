// weft-probe: prints whether this node's kernel can run Weft's capture, with a hint per
// missing prerequisite. Exit 0 when all is present, 1 when something is missing, 2 on
// usage errors. `weft check --pre` runs the same checks.
import { parseArgs } from 'node:util';
import { captureDefaults } from './capture/capture-defaults.js';
import { probeKernel } from './capture/feature-probe.js';
import { defaultObjectPath } from './config.js';

const usage = `Usage: weft-probe [options]

Checks that this node's kernel can run Weft's capture programs.

Options:
  -o, --output <table|json>   output format (default: table)
      --pin-root <path>       bpffs folder for pins (default: ${captureDefaults.pinRoot})
      --object <path>         capture object (default: ${defaultObjectPath})
      --mountinfo <path>      mount table to read (default: /proc/self/mountinfo)
  -h, --help                  show this help
`;

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        output: { type: 'string', short: 'o', default: 'table' },
        'pin-root': { type: 'string', default: captureDefaults.pinRoot },
        object: { type: 'string', default: defaultObjectPath },
        mountinfo: { type: 'string', default: '/proc/self/mountinfo' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    process.stderr.write(`weft-probe: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.output !== 'table' && values.output !== 'json') {
    process.stderr.write(`weft-probe: --output must be table or json, not '${values.output}'\n`);
    return 2;
  }
  const results = probeKernel({
    mountinfoPath: values.mountinfo,
    btfPath: '/sys/kernel/btf/vmlinux',
    statusPath: '/proc/self/status',
    pinRoot: values['pin-root'],
    objectPath: values.object,
  });
  if (values.output === 'json') {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${r.ok ? '✔' : '✘'} ${r.description}\n`);
      if (!r.ok) process.stdout.write(`    hint: ${r.hint ?? ''}${r.detail ? `\n    detail: ${r.detail.split('\n')[0] ?? ''}` : ''}\n`);
    }
    const missing = results.filter((r) => !r.ok).length;
    process.stdout.write(missing === 0 ? 'all prerequisites present\n' : `${missing} prerequisite(s) missing\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
