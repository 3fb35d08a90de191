export * from './ca/index.js';
