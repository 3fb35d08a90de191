import { Socket } from 'node:net';
import { connectInNetns } from '@weft/native';

export interface ProbeSpec {
  kind: 'http' | 'tcp';
  port: number;
  path: string;
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  successThreshold: number;
}

/**
 * One probe attempt from inside the pod's network namespace (through the native addon),
 * as the kubelet probes from the node: TCP connects, HTTP expects a 2xx or 3xx status.
 */
export async function probeOnce(netnsPath: string, ip: string, spec: ProbeSpec): Promise<boolean> {
  let fd: number;
  try {
    fd = await connectInNetns({ netns: netnsPath, family: 4, address: ip, port: spec.port, timeoutMs: 1000 });
  } catch {
    return false;
  }
  const socket = new Socket({ fd, readable: true, writable: true });
  if (spec.kind === 'tcp') {
    socket.destroy();
    return true;
  }
  return new Promise((resolve) => {
    let head = '';
    const timer = setTimeout(() => finish(false), 1000);
    function finish(ok: boolean): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    }
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (status?.[1]) finish(Number(status[1]) >= 200 && Number(status[1]) < 400);
    });
    socket.on('error', () => finish(false));
    socket.on('end', () => finish(false));
    socket.write(`GET ${spec.path} HTTP/1.0\r\nHost: ${ip}:${spec.port}\r\nUser-Agent: weft-nodelet\r\n\r\n`);
  });
}
