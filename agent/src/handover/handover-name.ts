/**
 * The abstract socket name agents of one node meet on. It is scoped to the network
 * namespace (the node's, for agents on the host network) and named after the pin root:
 * the kernel state one agent at a time owns. Long roots are hashed to fit the 107 bytes.
 */
import { createHash } from 'node:crypto';

export function handoverName(pinRoot: string): string {
  const name = `weft-agent-handover:${pinRoot}`;
  return name.length <= 100 ? name : `weft-agent-handover:${createHash('sha256').update(pinRoot).digest('hex')}`;
}
