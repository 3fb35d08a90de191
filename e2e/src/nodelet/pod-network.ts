import { createHash } from 'node:crypto';
import { run, tryRun } from '../testbed/shell.js';
import { netnsName, testbed } from '../testbed/testbed-config.js';

/**
 * A pod's network, the way a point-to-point CNI does it: a netns, a veth whose node end
 * holds the gateway 169.254.1.1, a /32 route to the pod on the node, and in the pod only
 * a route for the testbed's range (no default route).
 */
export interface PodNetwork {
  netnsPath: string;
  ip: string;
}

const gateway = '169.254.1.1';

function names(podUid: string): { ns: string; hostVeth: string } {
  const id = createHash('sha256').update(podUid).digest('hex').slice(0, 10);
  return { ns: netnsName(`p${id}`), hostVeth: `wtb${id}` };
}

export function createPodNetwork(node: string, podUid: string, ip: string): PodNetwork {
  const { ns, hostVeth } = names(podUid);
  const nodeNs = netnsName(node);
  run('ip', ['netns', 'add', ns]);
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', nodeNs, 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  run('ip', ['-n', nodeNs, 'link', 'set', hostVeth, 'up']);
  // The node end owns the gateway address, so the pod's ARP for it is answered (proxy
  // ARP would only answer for addresses the node routes elsewhere).
  run('ip', ['-n', nodeNs, 'addr', 'add', `${gateway}/32`, 'dev', hostVeth]);
  run('ip', ['-n', nodeNs, 'route', 'replace', `${ip}/32`, 'dev', hostVeth]);
  run('ip', ['-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
  run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  run('ip', ['-n', ns, 'route', 'add', gateway, 'dev', 'eth0', 'scope', 'link']);
  run('ip', ['-n', ns, 'route', 'add', '198.18.0.0/15', 'via', gateway, 'dev', 'eth0', 'src', ip]);
  return { netnsPath: `/run/netns/${ns}`, ip };
}

export function destroyPodNetwork(node: string, podUid: string): void {
  const { ns, hostVeth } = names(podUid);
  tryRun('ip', ['-n', netnsName(node), 'link', 'del', hostVeth]);
  tryRun('ip', ['netns', 'del', ns]);
}

/** Hands out the pod addresses .2 to .254 of a node's /24. */
export class PodIpAllocator {
  readonly #prefix: string;
  readonly #used = new Set<number>();

  constructor(nodeIndex: number) {
    this.#prefix = testbed.podCidr(nodeIndex).replace(/\.0\/24$/, '');
  }

  take(): string {
    for (let i = 2; i < 255; i++) {
      if (!this.#used.has(i)) {
        this.#used.add(i);
        return `${this.#prefix}.${i}`;
      }
    }
    throw new Error(`node's pod range ${this.#prefix}.0/24 is full`);
  }

  release(ip: string): void {
    this.#used.delete(Number(ip.split('.').pop()));
  }
}
