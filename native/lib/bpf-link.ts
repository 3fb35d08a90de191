import { rmSync } from 'node:fs';
import { addon } from './addon.js';
import { native } from './native-error.js';

/**
 * An attachment of a program (a kernel bpf_link). It lasts while this fd is open or a
 * pin holds it; detach() ends it at once either way.
 */
export class BpfLink {
  #fd: number;
  #pinnedAt: string | undefined;

  private constructor(fd: number, pinnedAt?: string) {
    this.#fd = fd;
    this.#pinnedAt = pinnedAt;
  }

  /** Wraps a link fd the caller owns from now on. */
  static fromFd(fd: number): BpfLink {
    return new BpfLink(fd);
  }

  /** Opens a link pinned on bpffs (for instance by an agent that crashed). */
  static fromPin(path: string): BpfLink {
    return new BpfLink(native(() => addon.objGet(path)), path);
  }

  get fd(): number {
    return this.#fd;
  }

  get pinnedAt(): string | undefined {
    return this.#pinnedAt;
  }

  /** Kernel ids, as `bpftool link` shows them; a netns link also names its namespace's inode. */
  info(): { id: number; programId: number; netnsIno?: number } {
    const { id, programId, netnsIno } = native(() => addon.linkInfo(this.#fd));
    return netnsIno === undefined ? { id, programId } : { id, programId, netnsIno };
  }

  /**
   * Replaces the link's program in one step (bpf_link_update): the cgroup or netns is
   * never without a program, so capture has no gap while an agent takes over.
   */
  update(program: { fd: number }): void {
    native(() => addon.linkUpdate(this.#fd, program.fd));
  }

  pin(path: string): void {
    native(() => addon.objPin(this.#fd, path));
    this.#pinnedAt = path;
  }

  /** Removes the pin, if any; the link lives on while the fd is open. */
  unpin(): void {
    if (this.#pinnedAt === undefined) return;
    rmSync(this.#pinnedAt, { force: true });
    this.#pinnedAt = undefined;
  }

  /** Closes this process's fd only: a pinned link stays attached (for the next agent). */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    native(() => addon.closeFd(fd));
  }

  /**
   * Detaches the program from its target, removes the pin and closes the fd: all three
   * are tried; the first failure is thrown afterwards.
   */
  destroy(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    const failures: unknown[] = [];
    for (const step of [() => native(() => addon.linkDetach(fd)), () => this.unpin(), () => native(() => addon.closeFd(fd))]) {
      try {
        step();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0] as Error;
  }
}
