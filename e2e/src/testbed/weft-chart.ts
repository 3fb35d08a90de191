import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cgroupRoot } from './network.js';
import { paths, testbed } from './testbed-config.js';
import { ensureHelm } from './upstream.js';

/** Weft's Helm chart in this checkout. */
export const chartPath = fileURLToPath(new URL('../../../helm/weft', import.meta.url));

/**
 * The values the testbed needs on top of the chart's defaults: several emulated nodes share
 * one host, so each agent attaches to its own node's cgroup and pins under its own folder.
 * The image names are the chart's own; the node emulator's image table runs this checkout's
 * builds for them.
 */
export function testbedValues(): string[] {
  return [
    '--set',
    `agent.cgroupPath=${cgroupRoot()}/$(WEFT_NODE_NAME)`,
    '--set',
    `agent.pinRoot=${testbed.bpfPinRoot}/$(WEFT_NODE_NAME)`,
    // The host reaches nodes, not pods: the UI is published on a node port.
    '--set',
    'control.service.type=NodePort',
    '--set',
    `control.service.httpNodePort=${uiNodePort}`,
  ];
}

/** Where the testbed's UI is: any node's address, this port. */
export const uiNodePort = 30084;

/** helm against the running testbed; a failure carries helm's own message. */
export function helm(args: string[]): string {
  try {
    return execFileSync(ensureHelm().helm, ['--kubeconfig', paths.kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`helm ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error });
  }
}

/** One template of the chart, rendered (for suites that run a part of Weft by hand). */
export function renderTemplate(template: string, extra: string[] = []): string {
  return helm(['template', 'weft', chartPath, '--namespace', 'weft-system', '--show-only', `templates/${template}`, ...extra]);
}

/** `helm install weft` into weft-system with the testbed's values, waiting until every pod is Ready. */
export function installWeft(extra: string[] = []): string {
  return helm(['install', 'weft', chartPath, '--namespace', 'weft-system', '--create-namespace', '--wait', '--timeout', '120s', ...testbedValues(), ...extra]);
}
