import { fileURLToPath } from 'node:url';

/**
 * The agent's settings from its environment: every WEFT_* variable the agent reads is
 * declared here and nowhere else.
 */
export const env = {
  /** Path of the capture object (bpf/build/weft_capture.o in a checkout). */
  WEFT_BPF_OBJECT: 'WEFT_BPF_OBJECT',
} as const;

/** The capture object: $WEFT_BPF_OBJECT, else the one built in this checkout. */
export const defaultObjectPath = process.env[env.WEFT_BPF_OBJECT] ?? fileURLToPath(new URL('../../bpf/build/weft_capture.o', import.meta.url));
