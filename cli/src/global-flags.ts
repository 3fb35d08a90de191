import type { FlagSpec } from './command.js';

/** Flags every command takes, before or after its name (kubectl's conventions). */
export const globalFlags: Record<string, FlagSpec> = {
  kubeconfig: { type: 'string', value: 'FILE', help: 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)' },
  context: { type: 'string', value: 'NAME', help: 'kubeconfig context to use (default: its current context)' },
  namespace: { type: 'string', short: 'n', value: 'NAME', help: 'namespace of the objects to show' },
  'all-namespaces': { type: 'boolean', short: 'A', help: 'every namespace' },
  output: { type: 'string', short: 'o', value: 'table|json|yaml', default: 'table', help: 'output format' },
  'weft-namespace': { type: 'string', value: 'NAME', default: 'weft-system', help: 'namespace Weft is installed in' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};
