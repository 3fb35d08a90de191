import type { NetnsLab } from '@weft/agent/testing';

export type NodeName = 'node1' | 'node2';

/** A pod of the bench: its own network namespace, one IPv4 address, placed on a node. */
export interface BenchPod {
  name: string;
  node: NodeName;
  netnsPath: string;
  ip: string;
}

/**
 * Two emulated nodes joined by one link, as in e2e/src/datapath/two-nodes.privileged.test.ts:
 *
 *   clientDirect 198.19.1.2 ─┐                          ┌─ serverDirect 198.19.2.2
 *   clientMesh   198.19.3.2 ─┤ node1 198.18.0.11 ══ node2 198.18.0.12 ├─ serverMesh 198.19.4.2
 *
 * Each routed pod is on a /24 of its own behind a veth to its node; the other node reaches
 * it through its node. The `idle` pods (198.19.100.x on loopback, alternately placed on
 * the two nodes) are only enrolled, to weigh what a pod costs the agent; nothing routes
 * to them. The `spread` pairs (clients 198.19.10+i.2 on node1, servers 198.19.40+i.2 on
 * node2) weigh connections spread over many mTLS sessions. No namespace has a default route.
 */
export interface TwoNodeTopology {
  nodes: Record<NodeName, string>;
  clientDirect: BenchPod;
  clientMesh: BenchPod;
  serverDirect: BenchPod;
  serverMesh: BenchPod;
  idle: BenchPod[];
  /** Client pods on node1 and server pods on node2, paired by index, each its own identity. */
  spread: { clients: BenchPod[]; servers: BenchPod[] };
}

export function buildTwoNodeTopology(lab: NetnsLab, options: { idlePods: number; spreadPairs?: number }): TwoNodeTopology {
  if (options.idlePods > 254) throw new RangeError(`at most 254 idle pods fit in 198.19.100.0/24, not ${options.idlePods}`);
  if ((options.spreadPairs ?? 0) > 30) throw new RangeError(`at most 30 spread pairs fit in 198.19.10-69.0/24, not ${options.spreadPairs ?? 0}`);
  const nodes = { node1: lab.addNamespace('n1'), node2: lab.addNamespace('n2') };
  const nodeIp = { node1: '198.18.0.11', node2: '198.18.0.12' };
  lab.link({ netnsPath: nodes.node1, device: 'fab0', cidr: `${nodeIp.node1}/24` }, { netnsPath: nodes.node2, device: 'fab0', cidr: `${nodeIp.node2}/24` });
  for (const node of Object.values(nodes)) lab.sysctl(node, 'net.ipv4.ip_forward', '1');

  const routed = (name: string, node: NodeName, subnet: number): BenchPod => {
    const netnsPath = lab.addNamespace(name);
    const gateway = `198.19.${subnet}.1`;
    const ip = `198.19.${subnet}.2`;
    lab.link({ netnsPath: nodes[node], device: `to-${name}`, cidr: `${gateway}/24` }, { netnsPath, device: 'eth0', cidr: `${ip}/24` });
    lab.addRoute(netnsPath, '198.19.0.0/16', gateway);
    const other: NodeName = node === 'node1' ? 'node2' : 'node1';
    lab.addRoute(nodes[other], `198.19.${subnet}.0/24`, nodeIp[node]);
    return { name, node, netnsPath, ip };
  };

  const idle = Array.from({ length: options.idlePods }, (_, i): BenchPod => {
    const name = `idle${i}`;
    const netnsPath = lab.addNamespace(name);
    const ip = `198.19.100.${i + 1}`;
    lab.addAddress(netnsPath, 'lo', `${ip}/32`);
    return { name, node: i % 2 === 0 ? 'node1' : 'node2', netnsPath, ip };
  });

  return {
    nodes,
    clientDirect: routed('cdirect', 'node1', 1),
    serverDirect: routed('sdirect', 'node2', 2),
    clientMesh: routed('cmesh', 'node1', 3),
    serverMesh: routed('smesh', 'node2', 4),
    idle,
    spread: {
      clients: Array.from({ length: options.spreadPairs ?? 0 }, (_, i) => routed(`cs${i}`, 'node1', 10 + i)),
      servers: Array.from({ length: options.spreadPairs ?? 0 }, (_, i) => routed(`ss${i}`, 'node2', 40 + i)),
    },
  };
}
