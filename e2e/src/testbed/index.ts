// The testbed as a library, for the benchmarks (bench/) that need a real API server.
export { acquireTestbedLease } from './testbed-lease.js';
export { down, up, type UpOptions, type UpResult } from './testbed.js';
export { isRunning, startComponent, stopComponent } from './processes.js';
export { paths, stateDir, testbed } from './testbed-config.js';
