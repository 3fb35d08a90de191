export type { NetnsSocketOptions, StructLayout } from './addon.js';
export { BpfLink } from './bpf-link.js';
export { BpfMap, SocketMap, TypedMap, UpdateFlag } from './bpf-map.js';
export { BpfObject } from './bpf-object.js';
export { BpfProgram } from './bpf-program.js';
export { checkLayout, u32Codec, u64Codec, type Codec } from './codec.js';
export { NativeError } from './native-error.js';
export { connectInNetns, listenInNetns, netnsCookie, socketNetnsCookie } from './netns.js';
export { probeHelper, probeMapType, probeProgramType } from './probe.js';
