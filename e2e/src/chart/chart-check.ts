// The chart's own checks, without a cluster (make lint; the unit tier runs them too):
// `helm lint --strict`, every rendered object well formed and every WEFT_* variable one its
// binary knows, and `helm template` with the default and the HA values pinned by golden files.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { agentSettings } from '@weft/agent';
import { settings as controlSettings } from '@weft/control';
import { ensureHelm } from '../testbed/upstream.js';
import { chartPath } from '../testbed/weft-chart.js';

/** The renderings pinned by golden files: name → extra helm arguments. */
export const renderings: Record<string, string[]> = {
  default: [],
  ha: ['--values', join(chartPath, 'ci', 'ha-values.yaml')],
};

export const goldenPath = (name: string): string => join(chartPath, 'ci', 'golden', `${name}.yaml`);

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** helm without a cluster; the exit status and output are returned, never thrown. */
export function helmOffline(args: string[]): HelmResult {
  try {
    const stdout = execFileSync(ensureHelm().helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    return { status: failed.status ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

export function render(extra: string[] = []): HelmResult {
  return helmOffline(['template', 'weft', chartPath, '--namespace', 'weft-system', '--include-crds', ...extra]);
}

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { name?: string; image?: string; env?: { name?: string }[] }[] } } };
}

const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Namespace']);
/** Which binary's settings a workload's WEFT_* variables must be. */
const settingsOf: Record<string, readonly string[]> = { 'weft-agent': Object.keys(agentSettings), 'weft-control': Object.keys(controlSettings) };

/** Everything wrong with a rendering, one line each (empty: fine). */
export function manifestProblems(rendered: string): string[] {
  const problems: string[] = [];
  const objects = loadAllYaml(rendered) as (Manifest | null)[];
  const seen = new Set<string>();
  for (const object of objects) {
    if (object === null) continue;
    const name = object.metadata?.name;
    const where = `${object.kind ?? '?'}/${name ?? '?'}`;
    if (!object.apiVersion || !object.kind || !name) problems.push(`${where}: apiVersion, kind and metadata.name are required`);
    if (seen.has(where)) problems.push(`${where}: rendered twice`);
    seen.add(where);
    if (object.kind && !clusterScoped.has(object.kind) && object.metadata?.namespace !== 'weft-system') problems.push(`${where}: must be in the release namespace`);
    for (const container of object.spec?.template?.spec?.containers ?? []) {
      if (!container.image) problems.push(`${where}: container ${container.name ?? '?'} has no image`);
      const known = settingsOf[name ?? ''];
      for (const variable of container.env ?? []) {
        const env = variable.name ?? '';
        if (known && env.startsWith('WEFT_') && !known.includes(env)) problems.push(`${where}: ${env} is not a setting of ${name ?? ''} (see its --help)`);
      }
    }
  }
  if (objects.length === 0) problems.push('nothing was rendered');
  return problems;
}

/** Runs every check; with `update`, rewrites the golden files instead of comparing. */
export function checkChart(options: { update?: boolean } = {}): string[] {
  const problems: string[] = [];
  for (const [name, extra] of Object.entries(renderings)) {
    const lint = helmOffline(['lint', '--strict', chartPath, ...extra]);
    if (lint.status !== 0) problems.push(`helm lint --strict (${name}): ${lint.stdout}${lint.stderr}`.trim());
    const rendered = render(extra);
    if (rendered.status !== 0) {
      problems.push(`helm template (${name}): ${rendered.stderr.trim()}`);
      continue;
    }
    problems.push(...manifestProblems(rendered.stdout).map((p) => `${name}: ${p}`));
    if (options.update) writeFileSync(goldenPath(name), rendered.stdout);
    else if (readFileSync(goldenPath(name), 'utf8') !== rendered.stdout) {
      problems.push(`${name}: helm template differs from ${goldenPath(name)}; if the change is meant, run 'make golden' and review the diff`);
    }
  }
  return problems;
}
