import { debuglog } from 'node:util';
import { isWeftError, WeftError, type Logger } from '@weft/api';
import type { BpfLink } from '@weft/native';
import type { PodEntry } from './capture-maps.js';
import { CapturePins, clearIncompatiblePins, openPinnedLinks } from './capture-pins.js';
import { cgroupPrograms, loadCapturePrograms, type CapturePrograms } from './capture-programs.js';
import { collectFailures } from './cleanup.js';
import { PreviousCapture, type InheritedListeners } from './previous-capture.js';

const debug = debuglog('weft:capture');

/** The capture programs loaded and attached, with what a previous agent left. */
export interface KernelCapture {
  programs: CapturePrograms;
  pins: CapturePins;
  /** One per cgroup program, pinned. */
  cgroupLinks: BpfLink[];
  previous: PreviousCapture;
}

export interface TakeOverOptions {
  objectPath: string;
  cgroupPath: string;
  pinRoot: string;
  /** Listeners handed over by a live predecessor: its maps must then be reused. */
  inherited?: InheritedListeners[];
  /** Told when maps of another layout are replaced (which has a gap in capture). */
  log?: Logger;
}

/**
 * Loads the capture programs and takes over the kernel state of the agent before, if any,
 * without a moment where enrolled pods are not captured:
 * - the maps pinned under pinRoot are reused with their contents (the enrolled pods, the
 *   original destinations of connections not yet accepted);
 * - each pinned link (cgroup programs, pods' sk_lookup) is switched to this agent's
 *   program in one step (bpf_link_update);
 * - the pods the maps capture stay captured until enrolled again or let go.
 * Maps of another layout (an agent of an incompatible build) cannot be reused: with a live
 * predecessor that is refused (it keeps the node); without one they are replaced, which
 * leaves its pods uncaptured until they are enrolled again.
 */
export function takeOverKernelCapture(options: TakeOverOptions): KernelCapture {
  const pins = new CapturePins(options.pinRoot);
  const { programs, replacedPodLinks } = loadReusingMaps(options, pins);
  const opened: BpfLink[] = [...(replacedPodLinks?.values() ?? [])];
  try {
    const { cgroup, pods } = openPinnedLinks(pins);
    opened.push(...cgroup.values(), ...pods.values());
    const cgroupLinks: BpfLink[] = [];
    for (const role of cgroupPrograms) {
      const program = programs[role];
      const pinned = cgroup.get(program.name);
      if (pinned) {
        pinned.update(program);
        cgroupLinks.push(pinned);
        continue;
      }
      const link = program.attachCgroup(options.cgroupPath);
      opened.push(link);
      link.pin(pins.cgroupLink(program.name));
      cgroupLinks.push(link);
    }
    for (const [name, link] of cgroup) if (!cgroupLinks.includes(link)) debug('leaving unknown cgroup link %s', name);
    for (const link of pods.values()) link.update(programs.skLookup);
    const enrolled = new Map<bigint, PodEntry>(programs.maps.enrolled.entries());
    if (enrolled.size > 0 || pods.size > 0) debug('took over %d pods and %d pod links under %s', enrolled.size, pods.size, pins.root);
    // Links left on maps of another layout keep their old program: its empty SOCKMAP keeps
    // STRICT pods closed until each is enrolled again.
    const previous = new PreviousCapture({ links: pods, heldLinks: replacedPodLinks ?? new Map<string, BpfLink>(), pods: enrolled, listeners: options.inherited ?? [] });
    return { programs, pins, cgroupLinks, previous };
  } catch (error) {
    // Nothing was detached: the previous state stays as it was for the next try.
    collectFailures([...opened.map((link) => () => link.close()), () => programs.object.close()]);
    throw error;
  }
}

function loadReusingMaps(options: TakeOverOptions, pins: CapturePins): { programs: CapturePrograms; replacedPodLinks?: Map<string, BpfLink> } {
  try {
    return { programs: loadCapturePrograms(options.objectPath, { pinMapsIn: pins.mapsDir }) };
  } catch (error) {
    if (!isWeftError(error, 'WEFT_NATIVE_PINNED_MAP_MISMATCH')) throw error;
    if (options.inherited) {
      throw new WeftError('WEFT_CAPTURE_INCOMPATIBLE_PINS', `the running agent's maps under ${pins.mapsDir} have another layout than this build's`, {
        cause: error,
        hint: 'this agent cannot take the node over without a gap; the running agent keeps it (see docs/upgrades.md)',
      });
    }
    options.log?.warn('pinned maps of another layout replaced: enrolled pods are not captured until enrolled again', { pinRoot: pins.root });
    const replacedPodLinks = clearIncompatiblePins(pins);
    try {
      return { programs: loadCapturePrograms(options.objectPath, { pinMapsIn: pins.mapsDir }), replacedPodLinks };
    } catch (again) {
      for (const link of replacedPodLinks.values()) link.close();
      throw again;
    }
  }
}
