// The node emulator: one process for every emulated node. Started by `testbed up`.
//   nodelet-main <kubeconfig> <node count> <cgroup root>
import * as k8s from '@kubernetes/client-node';
import { NodeAgent } from './node-agent.js';

const [kubeconfigPath = '', countText = '2', cgroupRoot = ''] = process.argv.slice(2);
const kubeconfig = new k8s.KubeConfig();
kubeconfig.loadFromFile(kubeconfigPath);
const log = (message: string): void => void process.stdout.write(`${new Date().toISOString()} ${message}\n`);

// One failing pod must never take every emulated node down.
process.on('unhandledRejection', (reason) => log(`unhandled: ${String(reason)}`));

const agents = Array.from({ length: Number(countText) }, (_, i) => new NodeAgent({ kubeconfig, index: i + 1, cgroupRoot, log }));
await Promise.all(agents.map((a) => a.start()));
log(`nodelet: ${agents.length} nodes registered`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void Promise.all(agents.map((a) => a.stop())).finally(() => process.exit(0));
  });
}
