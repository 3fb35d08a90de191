import { WeftError } from '@weft/api';
import type { TypedMap } from '@weft/native';
import type { PodEntry } from './capture-maps.js';

/**
 * The single writer of weft_pod_ips. Each IP belongs to at most one enrolled pod: another
 * pod cannot take it, and a pod only ever removes its own entries.
 */
export class PodIpTable {
  readonly #map: TypedMap<string, PodEntry>;
  readonly #owners = new Map<string, string>();
  readonly #byPod = new Map<string, string[]>();

  constructor(map: TypedMap<string, PodEntry>) {
    this.#map = map;
  }

  /**
   * Makes pod `uid` own exactly `ips`, each pointing at `entry`. Throws, changing nothing,
   * when another pod owns one of them.
   */
  assign(uid: string, ips: string[], entry: PodEntry): void {
    for (const ip of ips) {
      const owner = this.#owners.get(ip);
      if (owner !== undefined && owner !== uid) {
        throw new WeftError('WEFT_CAPTURE_IP_IN_USE', `pod ${uid} asks for ${ip}, which enrolled pod ${owner} has`, {
          hint: `unenroll ${owner} first: its sandbox is gone if the IP was given to a new pod`,
        });
      }
    }
    for (const ip of (this.#byPod.get(uid) ?? []).filter((old) => !ips.includes(old))) {
      this.#map.delete(ip);
      this.#owners.delete(ip);
    }
    for (const ip of ips) {
      this.#map.set(ip, entry);
      this.#owners.set(ip, uid);
    }
    if (ips.length > 0) this.#byPod.set(uid, [...ips]);
    else this.#byPod.delete(uid);
  }

  /** Removes every entry pod `uid` owns. */
  release(uid: string): void {
    this.assign(uid, [], { inboundSlot: 0, flags: 0 });
  }

  /**
   * Removes the entries of weft_pod_ips no enrolled pod owns: what a previous agent left
   * for pods let go or addresses a pod no longer has.
   */
  removeUnowned(): void {
    for (const ip of [...this.#map.keys()]) if (!this.#owners.has(ip)) this.#map.delete(ip);
  }

  ipsOf(uid: string): string[] {
    return [...(this.#byPod.get(uid) ?? [])];
  }
}
