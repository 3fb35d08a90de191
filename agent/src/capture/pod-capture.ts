import { closeSync, openSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { WeftError } from '@weft/api';
import { bytesToIp, ipToBytes } from './ip-address.js';

/** A pod to capture: who it is and where its network namespace is. */
export interface PodCapture {
  /** Kubernetes pod uid (or any stable unique name without '/'). */
  uid: string;
  /** Path of the pod's network namespace: /run/netns/<name> or /proc/<pid>/ns/net. */
  netnsPath: string;
  /** The pod's IP addresses; inbound capture applies to connections to these. */
  ips: string[];
  /** Fail closed: drop inbound connections while the agent's listener is missing. */
  strict?: boolean;
}

const uidPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** Checks a PodCapture from outside and returns it with canonical IP text. */
export function validatePod(pod: PodCapture): PodCapture {
  const bad = (what: string): never => {
    throw new WeftError('WEFT_CAPTURE_BAD_POD', `cannot enroll pod ${JSON.stringify(pod.uid)}: ${what}`);
  };
  if (typeof pod.uid !== 'string' || !uidPattern.test(pod.uid)) bad('uid must be letters, digits, ".", "_" or "-"');
  if (typeof pod.netnsPath !== 'string' || !isAbsolute(pod.netnsPath)) bad('netnsPath must be an absolute path');
  if (!Array.isArray(pod.ips)) bad('ips must be a list of IP addresses');
  // Canonical text, so ownership and comparisons see one form per address.
  const canonical = (ip: string): string => {
    const { family, bytes } = ipToBytes(ip);
    return bytesToIp(family, bytes);
  };
  const ips = [...new Set(pod.ips.map(canonical))];
  return { uid: pod.uid, netnsPath: pod.netnsPath, ips, strict: pod.strict === true };
}

/** Opens a network namespace once; `path` names the open file for the addon's calls. */
export function openNetns(netnsPath: string): { path: string; close(): void } {
  let fd: number;
  try {
    fd = openSync(netnsPath, 'r');
  } catch (error) {
    throw new WeftError('WEFT_CAPTURE_NETNS_NOT_FOUND', `cannot open the network namespace ${netnsPath}`, {
      cause: error,
      hint: 'the pod (or its sandbox) has gone away, or the path is wrong',
    });
  }
  return { path: `/proc/self/fd/${fd}`, close: () => closeSync(fd) };
}
