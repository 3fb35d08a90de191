export { EdgeWindow, quantileMs, slotMs, windowSlots, type EdgeTotals } from './edge-window.js';
export { TelemetryStore, type WindowQuery, type WorkloadResolver } from './telemetry-store.js';
export { telemetryService, type TelemetryServiceOptions } from './telemetry-service.js';
