import { createRequire } from 'node:module';

/** A program of a loaded object as the addon describes it. */
export interface RawProgram {
  name: string;
  type: string;
  attachType: string;
  attachTypeId: number;
  fd: number;
}

export interface RawMap {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  fd: number;
}

export interface StructLayout {
  size: number;
  members: { name: string; offset: number; size: number }[];
}

export interface RawBpfObject {
  setMapPinPath(name: string, path: string): void;
  load(): void;
  programs(): RawProgram[];
  maps(): RawMap[];
  btfStruct(name: string): StructLayout | null;
  close(): void;
}

export interface NetnsSocketOptions {
  /** Path of the network namespace, e.g. /run/netns/pod-a or /proc/<pid>/ns/net. */
  netns: string;
  family: 4 | 6;
  address: string;
  port?: number;
  backlog?: number;
  /** SO_MARK for the socket (needs CAP_NET_ADMIN). */
  mark?: number;
  v6only?: boolean;
  freebind?: boolean;
  /** Local address to bind before connecting. */
  source?: string;
  timeoutMs?: number;
}

/** A connected AF_UNIX socket and the credentials of the process at its other end. */
export interface UnixPeer {
  fd: number;
  pid: number;
  uid: number;
}

/** The addon's exports exactly as the C++ registers them (native/src/weft_addon.cc). */
export interface Addon {
  BpfObject: new (path: string) => RawBpfObject;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  mapLookup(fd: number, key: Buffer, valueSize: number): Buffer | null;
  mapLookupAndDelete(fd: number, key: Buffer, valueSize: number): Buffer | null;
  mapDelete(fd: number, key: Buffer): boolean;
  mapNextKey(fd: number, key: Buffer | null, keySize: number): Buffer | null;
  linkCreate(programFd: number, targetPath: string, attachTypeId: number): number;
  linkUpdate(linkFd: number, programFd: number): void;
  linkDetach(fd: number): void;
  linkInfo(fd: number): { id: number; programId: number; type: number; netnsIno?: number };
  objPin(fd: number, path: string): void;
  objGet(path: string): number;
  closeFd(fd: number): void;
  listenInNetns(options: NetnsSocketOptions): Promise<number>;
  connectInNetns(options: NetnsSocketOptions): Promise<number>;
  netnsCookie(netnsPath: string): Promise<bigint>;
  socketNetnsCookie(fd: number): bigint;
  unixListen(name: string): number;
  unixAccept(fd: number): UnixPeer | null;
  unixConnect(name: string): UnixPeer;
  unixSend(fd: number, data: Buffer, fds: number[]): void;
  unixReceive(fd: number, timeoutMs: number): { data: Buffer; fds: number[] } | null;
  probeProgramType(type: string): boolean;
  probeMapType(type: string): boolean;
  probeHelper(programType: string, helper: string): boolean;
}

const require = createRequire(import.meta.url);

/** The loaded addon; built by node-gyp into native/build/Release. */
export const addon = require('../build/Release/weft_native.node') as Addon;
