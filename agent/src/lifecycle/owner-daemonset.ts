import { readFile } from 'node:fs/promises';
import { request } from 'node:https';

export interface OwnerDaemonSetOptions {
  namespace: string;
  name: string;
  /** The Kubernetes API, from the kubelet's service variables. */
  apiHost: string;
  apiPort: string;
  tokenPath: string;
  caPath: string;
  timeoutMs?: number;
}

/** What the API server says of the agent's DaemonSet. */
export type DaemonSetPresence = 'present' | 'deleting' | 'gone' | 'unknown';

/**
 * Asks the API server whether the agent's own DaemonSet still exists. An agent told to stop
 * whose DaemonSet is gone or being deleted — or whose right to read it is gone with its
 * ServiceAccount or Role — is being uninstalled (helm uninstall deletes them, then the
 * garbage collector stops the pods): it ends capture on the node. Any other stop — an upgrade, a
 * deleted pod, a drained node — leaves capture in place for the next agent. Istio's CNI
 * agent tells an upgrade from an uninstall the same way. 'unknown' (the API cannot be
 * reached) is treated as present: the safe side keeps pods in the mesh.
 */
export async function ownerDaemonSet(options: OwnerDaemonSetOptions): Promise<DaemonSetPresence> {
  let token: string;
  let ca: Buffer;
  try {
    [token, ca] = await Promise.all([readFile(options.tokenPath, 'utf8'), readFile(options.caPath)]);
  } catch {
    return 'unknown';
  }
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(options.namespace)}/daemonsets/${encodeURIComponent(options.name)}`;
  return new Promise((resolve) => {
    const req = request(
      { host: options.apiHost, port: options.apiPort, path, ca, headers: { authorization: `Bearer ${token.trim()}`, accept: 'application/json' }, timeout: options.timeoutMs ?? 3000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 1 << 20) body += chunk;
        });
        response.on('end', () => {
          // 401/403: the chart's ServiceAccount or the Role that lets the agent read its
          // DaemonSet went first (helm deletes them with the DaemonSet, before the pods stop).
          if (response.statusCode === 404 || response.statusCode === 401 || response.statusCode === 403) return resolve('gone');
          if (response.statusCode !== 200) return resolve('unknown');
          try {
            const object = JSON.parse(body) as { metadata?: { deletionTimestamp?: string } };
            resolve(object.metadata?.deletionTimestamp ? 'deleting' : 'present');
          } catch {
            resolve('unknown');
          }
        });
        response.on('error', () => resolve('unknown'));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('unknown'));
    req.end();
  });
}
