import type { BpfProgram } from '@weft/native';
import { BpfObject } from '@weft/native';
import type { CaptureMaps } from './capture-maps.js';
import { captureMaps, checkCaptureLayouts } from './capture-maps.js';

/** The loaded capture object with a typed handle per program and map. */
export interface CapturePrograms {
  object: BpfObject;
  /** Outbound redirect, attached to a cgroup. */
  connect4: BpfProgram;
  connect6: BpfProgram;
  /** Moves original destinations to (netns, port) keys, attached to a cgroup. */
  sockops: BpfProgram;
  /** Inbound steering, linked to each enrolled pod's netns. */
  skLookup: BpfProgram;
  maps: CaptureMaps;
}

/** The programs attached once to the cgroup, by role. */
export const cgroupPrograms = ['connect4', 'connect6', 'sockops'] as const;

/**
 * Loads bpf/build/weft_capture.o, checks that the structs it was compiled with match
 * the TypeScript codecs, and returns typed handles. The object is closed on failure.
 * `pinMapsIn`: maps are pinned there, and those already pinned are reused (BpfObject.load).
 */
export function loadCapturePrograms(objectPath: string, options: { pinMapsIn?: string } = {}): CapturePrograms {
  const object = BpfObject.load(objectPath, options);
  try {
    checkCaptureLayouts(object);
    return {
      object,
      connect4: object.program('weft_connect4'),
      connect6: object.program('weft_connect6'),
      sockops: object.program('weft_sockops'),
      skLookup: object.program('weft_sk_lookup'),
      maps: captureMaps(object),
    };
  } catch (error) {
    object.close();
    throw error;
  }
}
