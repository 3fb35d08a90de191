export { EdgeStats, type EdgeCounter, type EdgeEnds } from './edge-stats.js';
export { TelemetryReporter, type TelemetryReporterOptions } from './telemetry-reporter.js';
