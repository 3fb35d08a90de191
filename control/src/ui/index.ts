export { attachLiveUpdates, type LiveUpdatesOptions } from './live-updates.js';
export { parseWindowQuery, uiRoutes, type UiRoutesOptions } from './ui-routes.js';
