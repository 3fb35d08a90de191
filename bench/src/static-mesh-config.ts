import { writeFileSync } from 'node:fs';
import type { BenchPod, NodeName } from './two-node-topology.js';

/** A pod enrolled in the bench's mesh, with the ServiceAccount that gives its identity. */
export interface MeshMember {
  pod: BenchPod;
  serviceAccount: string;
}

/**
 * Writes the static config (docs/static-config.md) that `node`'s agent reads: every member
 * as an enrolled workload of namespace `bench`, with its netns only where it is on `node`.
 * Written in place (never renamed over), so the agent's file watch keeps watching it.
 */
export function writeStaticMeshConfig(path: string, node: NodeName, version: string, members: MeshMember[]): void {
  const config = {
    version,
    settings: { trustDomain: 'cluster.local', defaultMode: 'PERMISSIVE', outboundPolicy: 'ALLOW_ANY' },
    workloads: members.map(({ pod, serviceAccount }) => ({
      uid: `bench-${pod.name}`,
      name: pod.name,
      namespace: 'bench',
      serviceAccount,
      node: pod.node,
      ips: [pod.ip],
      enrolled: true,
      ...(pod.node === node ? { netnsPath: pod.netnsPath } : {}),
    })),
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}
