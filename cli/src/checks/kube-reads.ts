import type { CheckEnvironment } from './check.js';

/** The API reads checks share, each made once per `weft check`. */
export interface VersionInfo {
  gitVersion: string;
  major: string;
  minor: string;
}

export interface NodeList {
  items: { metadata: { name: string }; status?: { nodeInfo?: { kernelVersion?: string; kubeletVersion?: string } } }[];
}

export interface PodList {
  items: {
    metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
    spec: { nodeName?: string; hostNetwork?: boolean };
    status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
  }[];
}

export const serverVersion = (env: CheckEnvironment): Promise<VersionInfo> => env.once('version', () => env.cluster().getJson<VersionInfo>('/version'));

export const nodes = (env: CheckEnvironment): Promise<NodeList> => env.once('nodes', () => env.cluster().getJson<NodeList>('/api/v1/nodes'));

/** "1.34" from "v1.34.4", kernel "6.1.0-28-amd64" → [6, 1]. */
export function versionPair(text: string): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export const atLeast = (have: [number, number], want: [number, number]): boolean => have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);
