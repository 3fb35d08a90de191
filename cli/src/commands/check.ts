import { exitCodes } from '../cli-error.js';
import type { Command } from '../command.js';
import { renderResult, renderSummary, runChecks, type CheckResult } from '../checks/check.js';
import { installChecks } from '../checks/install-checks.js';
import { preChecks } from '../checks/pre-checks.js';
import { renderData } from '../output.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'check the prerequisites (--pre) or the health of an installed mesh',
  usage: 'weft check [--pre] [flags]',
  description: [
    'Checks that Weft can be installed (--pre: the cluster, your permissions and this machine\'s kernel),',
    'or that an installed Weft is healthy: the CRD, the control plane, every agent connected and',
    'current, and certificates valid and not near expiry. Each failed check says what to do.',
    'Exit code 1 when a check failed.',
  ].join('\n'),
  examples: ['weft check --pre', 'weft check', 'weft check -o json', 'sudo weft check --pre --mountinfo /proc/1/mountinfo'],
  flags: {
    pre: { type: 'boolean', help: 'check the prerequisites of an install instead of an installed mesh' },
    mountinfo: { type: 'string', value: 'FILE', help: "--pre: the mount table the kernel probe reads (to check another mount namespace's)" },
    'pin-root': { type: 'string', value: 'DIR', help: '--pre: the bpffs folder the agent will pin under' },
    object: { type: 'string', value: 'FILE', help: "--pre: the capture object to load (default: the agent's build)" },
  },
  positionals: { min: 0, max: 0 },
  run: async (context) => {
    const pre = context.flags.pre === true;
    const text = (name: string): string | undefined => (typeof context.flags[name] === 'string' ? context.flags[name] : undefined);
    const table = context.output === 'table';
    let previous: CheckResult | undefined;
    const results = await runChecks(
      pre ? preChecks : installChecks,
      {
        cluster: () => context.cluster(),
        weftNamespace: context.weftNamespace,
        env: context.env,
        options: { mountinfo: text('mountinfo'), 'pin-root': text('pin-root'), object: text('object') },
      },
      (result) => {
        // Printed as each check ends: a slow cluster shows progress.
        if (table) context.stdout(renderResult(result, previous));
        previous = result;
      },
    );
    if (table) context.stdout(renderSummary(results));
    else context.stdout(renderData({ pre, success: results.every((r) => r.status !== 'failed'), checks: results }, context.output === 'json' ? 'json' : 'yaml'));
    return results.some((r) => r.status === 'failed') ? exitCodes.failed : exitCodes.ok;
  },
};
