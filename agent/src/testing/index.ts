// Test and benchmark support: a private network lab, process output, kernel snapshots,
// weft-agent processes.
export { allCapabilities, fakeProc } from './fake-proc.js';
export { AgentProcess, agentMainPath, type AgentDebugState, type AgentProcessOptions } from './agent-process.js';
export { snapshotKernelState, type KernelState } from './kernel-state.js';
export { NetnsLab } from './netns-lab.js';
export { captureObjectPath, fixture, repoRoot } from './paths.js';
export { ProcessOutput } from './process-output.js';
