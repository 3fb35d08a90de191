// Test and benchmark support: a private network lab, process output, kernel snapshots.
export { snapshotKernelState, type KernelState } from './kernel-state.js';
export { NetnsLab } from './netns-lab.js';
export { captureObjectPath, fixture, repoRoot } from './paths.js';
export { ProcessOutput } from './process-output.js';
