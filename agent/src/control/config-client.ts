import { credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { keyOf, keyText, meshWire as wire, updateFromWire, type Logger, type MeshResource, type MeshUpdate } from '@weft/api';
import type { MeshSnapshot } from '../state/index.js';
import { reconnectOptions } from './reconnect-options.js';

export interface ConfigClientOptions {
  /** host:port of the control plane's gRPC port (15012). */
  address: string;
  /** The name in the control plane's serving certificate. */
  serverName: string;
  /** PEM of the mesh root: the only CA trusted for the control plane. */
  trustBundlePem: string;
  /** The agent's current ServiceAccount token (read again for every connection: it rotates). */
  token: () => Promise<string>;
  /** Takes a complete snapshot; rejecting refuses it (NACK) and the previous one stays. */
  apply: (snapshot: MeshSnapshot) => Promise<void>;
  log: Logger;
  /** Wait before reconnecting: doubles from initialMs to maxMs (default 250 ms, 5 s). */
  backoff?: { initialMs: number; maxMs: number };
}

export interface ConfigClientStatus {
  connected: boolean;
  /** The version applied last ('' before the first). */
  version: string;
  /** Updates refused since start. */
  refused: number;
  lastError: string | undefined;
}

/** The resources of a snapshot as the MeshState takes them. */
function snapshotOf(version: string, resources: ReadonlyMap<string, MeshResource>): MeshSnapshot {
  const snapshot: Omit<MeshSnapshot, 'settings'> & { settings?: MeshSnapshot['settings'] } = { version, workloads: [], services: [], policies: [] };
  for (const resource of resources.values()) {
    if (resource.kind === 'settings') snapshot.settings = resource.settings;
    else if (resource.kind === 'workload') snapshot.workloads.push(resource.workload);
    else if (resource.kind === 'service') snapshot.services.push(resource.service);
    else snapshot.policies.push(resource.policy);
  }
  const { settings } = snapshot;
  if (!settings) throw new Error('the update leaves no mesh settings');
  return { ...snapshot, settings };
}

/**
 * The agent's end of the config stream (api/proto/weft/mesh/v1/mesh.proto): subscribes with
 * the version it holds, applies each update whole or refuses it whole, answers every one,
 * and reconnects with back-off when the stream ends — meanwhile the agent keeps serving
 * what it has. One update is applied at a time; the control plane sends the next only
 * after the answer.
 */
export class ConfigClient {
  readonly #options: ConfigClientOptions;
  readonly #client: wire.MeshConfigClient;
  #resources = new Map<string, MeshResource>();
  #version = '';
  #call: ClientDuplexStream<wire.AgentMessage, wire.Update> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #delayMs: number;
  #stopped = false;
  #connected = false;
  #refused = 0;
  #lastError: string | undefined;
  /** Updates are applied in arrival order, one after the other. */
  #applying: Promise<void> = Promise.resolve();

  constructor(options: ConfigClientOptions) {
    this.#options = options;
    this.#delayMs = options.backoff?.initialMs ?? 250;
    this.#client = new wire.MeshConfigClient(options.address, credentials.createSsl(Buffer.from(options.trustBundlePem)), {
      'grpc.ssl_target_name_override': options.serverName,
      ...reconnectOptions,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // Snapshots of a large mesh exceed gRPC's default 4 MiB.
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    });
  }

  status(): ConfigClientStatus {
    return { connected: this.#connected, version: this.#version, refused: this.#refused, lastError: this.#lastError };
  }

  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#call?.cancel();
    this.#client.close();
  }

  async #connect(): Promise<void> {
    this.#retry = undefined;
    if (this.#stopped) return;
    let token: string;
    try {
      token = await this.#options.token();
    } catch (error) {
      this.#ended(`the ServiceAccount token cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const call = this.#client.stream(metadata);
    this.#call = call;
    call.on('data', (update: wire.Update) => {
      this.#applying = this.#applying.then(() => this.#onUpdate(call, update));
    });
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      if (this.#call === call) this.#call = undefined;
      this.#ended(reason);
    };
    call.on('error', (error: ServiceError) => end(error.details || error.message));
    call.on('end', () => end('the control plane ended the stream'));
    call.write({ subscribe: { version: this.#version } });
  }

  #ended(reason: string): void {
    this.#connected = false;
    if (this.#stopped) return;
    this.#lastError = reason;
    const delay = this.#delayMs;
    this.#delayMs = Math.min(delay * 2, this.#options.backoff?.maxMs ?? 5000);
    this.#options.log.warn('config stream ended; keeping the current mesh state and reconnecting', { reason, inMs: delay, version: this.#version });
    // ±20 % so that agents do not come back in step after a control plane restart.
    this.#retry = setTimeout(() => void this.#connect(), delay * (0.8 + Math.random() * 0.4));
  }

  async #onUpdate(call: ClientDuplexStream<wire.AgentMessage, wire.Update>, received: wire.Update): Promise<void> {
    const answer = (error: string): void => {
      if (!call.destroyed) call.write({ ack: { version: received.version, error } });
    };
    try {
      const update = updateFromWire(received);
      const next = this.#next(update);
      await this.#options.apply(snapshotOf(update.version, next));
      this.#resources = next;
      this.#version = update.version;
      this.#connected = true;
      this.#delayMs = this.#options.backoff?.initialMs ?? 250;
      answer('');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#refused++;
      this.#lastError = message;
      this.#options.log.error('config update refused; keeping the previous mesh state', { version: received.version, error });
      answer(message);
    }
  }

  /** The resources after an update, or a throw when it does not apply to what is held. */
  #next(update: MeshUpdate): Map<string, MeshResource> {
    if (update.baseVersion !== '' && update.baseVersion !== this.#version) {
      throw new Error(`the update applies to version ${update.baseVersion}, but this agent holds ${this.#version || 'nothing'}`);
    }
    const next = update.baseVersion === '' ? new Map<string, MeshResource>() : new Map(this.#resources);
    for (const key of update.removals) next.delete(keyText(key));
    for (const resource of update.upserts) next.set(keyText(keyOf(resource)), resource);
    return next;
  }
}
