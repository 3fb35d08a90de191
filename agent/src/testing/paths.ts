import { fileURLToPath } from 'node:url';

/** The repository root, from this compiled file's place (agent/dist/testing/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The capture object built by bpf/Makefile. */
export const captureObjectPath = `${repoRoot}bpf/build/weft_capture.o`;

/** A compiled fixture program of agent/src/testing/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}
