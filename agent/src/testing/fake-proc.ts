import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Capabilities as /proc/<pid>/status shows them (CapEff) for a process with all of them. */
export const allCapabilities = '000001ffffffffff';

/**
 * A /proc with what the hand-over's peer check reads of one pid — its status (uid and
 * effective capabilities) and its user namespace — and of `self`. The caller removes it.
 */
export function fakeProc(pid: number, options: { uid?: number; capEff?: string; userNs?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'weft-proc-'));
  for (const [who, userNs] of [[String(pid), options.userNs ?? 'user:[4026531837]'], ['self', 'user:[4026531837]']] as const) {
    mkdirSync(join(root, who, 'ns'), { recursive: true });
    writeFileSync(join(root, who, 'status'), `Name:\tnode\nUid:\t${options.uid ?? 0}\nCapEff:\t${options.capEff ?? allCapabilities}\n`);
    symlinkSync(userNs, join(root, who, 'ns', 'user'));
  }
  return root;
}
