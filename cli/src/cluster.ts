import { existsSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './cli-error.js';

export interface ClusterOptions {
  /** --kubeconfig; else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string | undefined;
  /** --context; else the kubeconfig's current context. */
  context?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds for each request (default 10 s). */
  timeoutMs?: number;
}

export interface ClusterReply {
  status: number;
  body: string;
}

const reachHint = 'is the cluster up, and are --kubeconfig and --context right? (`make demo` starts a local one)';

/** Where a Weft component's HTTP port is, seen through the API server's proxy. */
export type ProxyTarget = { kind: 'services' | 'pods'; namespace: string; name: string; port: string | number };

export function proxyPath(target: ProxyTarget, path: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/${target.kind}/${encodeURIComponent(target.name)}:${target.port}/proxy${path}`;
}

/**
 * The Kubernetes API as the CLI uses it: the kubeconfig's credentials (client-node applies
 * certificates, tokens and exec plugins) on plain HTTPS requests, and Weft's own HTTP ports
 * through the API server's service and pod proxy — no port-forward, so it works wherever
 * `get services/proxy` is allowed.
 */
export class Cluster {
  readonly server: URL;
  readonly contextName: string;
  readonly #config: KubeConfig;
  readonly #timeoutMs: number;

  private constructor(config: KubeConfig, server: URL, timeoutMs: number) {
    this.#config = config;
    this.server = server;
    this.contextName = config.getCurrentContext();
    this.#timeoutMs = timeoutMs;
  }

  static load(options: ClusterOptions): Cluster {
    const env = options.env ?? process.env;
    const file = options.kubeconfig ?? env.KUBECONFIG?.split(':').find((p) => p !== '') ?? join(homedir(), '.kube', 'config');
    if (!existsSync(file)) {
      throw new ClusterError(`no kubeconfig at ${file}`, { hint: 'pass --kubeconfig FILE or set KUBECONFIG (the demo cluster: /run/weft-testbed/kubeconfig)' });
    }
    const config = new KubeConfig();
    try {
      config.loadFromFile(file);
    } catch (error) {
      throw new ClusterError(`the kubeconfig ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (options.context !== undefined) {
      if (!config.getContexts().some((c) => c.name === options.context)) {
        throw new ClusterError(`the kubeconfig ${file} has no context '${options.context}'`, { hint: `its contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'}` });
      }
      config.setCurrentContext(options.context);
    }
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new ClusterError(`the kubeconfig ${file} names no current cluster`, { hint: 'pass --context NAME' });
    let server: URL;
    try {
      server = new URL(cluster.server);
    } catch (error) {
      throw new ClusterError(`the kubeconfig's server '${cluster.server}' is not a URL`, { cause: error });
    }
    if (server.protocol !== 'https:') throw new ClusterError(`the API server ${cluster.server} is not https`, { hint: 'weft speaks to the API server over TLS only' });
    return new Cluster(config, server, options.timeoutMs ?? 10_000);
  }

  /** The request options of `path` on the API server, credentials applied. */
  async requestOptions(method: string, path: string, headers: Record<string, string> = {}): Promise<RequestOptions> {
    const options: RequestOptions = {
      method,
      protocol: 'https:',
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || 443,
      path,
      headers: { accept: 'application/json', ...headers },
    };
    await this.#config.applyToHTTPSOptions(options);
    return options;
  }

  async request(method: string, path: string, body?: { contentType: string; data: unknown }): Promise<ClusterReply> {
    const payload = body === undefined ? undefined : JSON.stringify(body.data);
    const options = await this.requestOptions(method, path, payload === undefined ? {} : { 'content-type': body?.contentType ?? 'application/json' });
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ ...options, timeout: this.#timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.#timeoutMs / 1000} s`)));
      req.on('error', (error) => reject(new ClusterError(`cannot reach the Kubernetes API at ${this.server.origin}: ${error.message}`, { hint: reachHint, cause: error })));
      req.end(payload);
    });
  }

  /** GET a JSON document; any status but 2xx is a ClusterError carrying the API server's message. */
  async getJson<T>(path: string): Promise<T> {
    return parseReply<T>(path, await this.request('GET', path));
  }

  async patchJson<T>(path: string, patch: unknown): Promise<T> {
    return parseReply<T>(path, await this.request('PATCH', path, { contentType: 'application/merge-patch+json', data: patch }));
  }

  async postJson<T>(path: string, data: unknown): Promise<T> {
    return parseReply<T>(path, await this.request('POST', path, { contentType: 'application/json', data }));
  }

  /** GET `path` of a Weft component's HTTP port through the API server's proxy. */
  async proxyGet(target: ProxyTarget, path: string): Promise<ClusterReply> {
    return this.request('GET', proxyPath(target, path));
  }
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON's type, as with Response.json()
function parseReply<T>(path: string, reply: ClusterReply): T {
  if (reply.status < 200 || reply.status >= 300) {
    let message = reply.body.trim().slice(0, 300);
    try {
      const status = JSON.parse(reply.body) as { message?: unknown };
      if (typeof status.message === 'string') message = status.message;
    } catch {
      // Not a Status object: the text is the message.
    }
    const hint = reply.status === 403 ? 'your credentials lack this permission; ask a cluster admin' : undefined;
    throw new ClusterError(`${path}: ${reply.status} ${message}`, { status: reply.status, ...(hint ? { hint } : {}) });
  }
  try {
    return JSON.parse(reply.body) as T;
  } catch (error) {
    throw new ClusterError(`${path}: the answer is not JSON`, { cause: error });
  }
}
