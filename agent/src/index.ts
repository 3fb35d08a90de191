export * from './capture/index.js';
export * from './identity/index.js';
