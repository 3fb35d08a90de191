import { addon } from './addon.js';
import { native } from './native-error.js';

/** Whether the running kernel can load programs of this type (libbpf's names). */
export function probeProgramType(type: string): boolean {
  return native(() => addon.probeProgramType(type));
}

export function probeMapType(type: string): boolean {
  return native(() => addon.probeMapType(type));
}

/** Whether programs of this type may call the helper (the names of bpf_helpers.h, without bpf_). */
export function probeHelper(programType: string, helper: string): boolean {
  return native(() => addon.probeHelper(programType, helper));
}
