import { fileURLToPath } from 'node:url';

/**
 * Images the node emulator can run, mapped to local commands (there is no container
 * runtime here). A container's own `command`/`args` override the image's, as in
 * Kubernetes. Images not listed run their `command` as a host program.
 */
const image = (name: string): string[] => [process.execPath, fileURLToPath(new URL(`../images/${name}.js`, import.meta.url))];
/** Weft's own binaries, built in this checkout (the chart's images name them). */
const weft = (pkg: string): string[] => [process.execPath, fileURLToPath(new URL(`../../../${pkg}/dist/main.js`, import.meta.url))];

export const imageTable: Record<string, string[]> = {
  'ghcr.io/weft-mesh/weft-agent': weft('agent'),
  'ghcr.io/weft-mesh/weft-control': weft('control'),
  'weft.dev/test/http-echo': image('http-echo'),
  'weft.dev/test/http-get': image('http-get'),
  'weft.dev/test/http-load': image('http-load'),
  'weft.dev/test/shell': ['/bin/sh'],
  // The demo's sample app (make demo): an HTTP frontend calling a gRPC catalog and an HTTP cart.
  'weft.dev/demo/frontend': image('demo-frontend'),
  'weft.dev/demo/catalog': image('demo-catalog'),
};

/** The argv a container runs, or undefined when nothing says what to run. */
export function containerArgv(imageName: string, command: string[] | undefined, args: string[] | undefined): string[] | undefined {
  const base = imageTable[imageName.replace(/:[^/:]+$/, '')];
  const entry = command ?? base;
  if (!entry || entry.length === 0) return undefined;
  return [...entry, ...(args ?? [])];
}
