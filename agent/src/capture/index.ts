export { CaptureManager, type CaptureOptions, type CaptureStats, type CapturedConnection, type EnrolledPodState, type PodListenerFds } from './capture-manager.js';
export type { PodCapture } from './pod-capture.js';
export { captureDefaults } from './capture-defaults.js';
export type { OriginalDestination } from './capture-maps.js';
export type { InheritedListeners } from './previous-capture.js';
export { findCgroup2Root } from './kernel-mounts.js';
export { loadCapturePrograms, type CapturePrograms } from './capture-programs.js';
export { PodNetnsFinder, type PodNetnsFinderOptions } from './pod-netns-finder.js';
