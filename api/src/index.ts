export { WeftError, isWeftError, type WeftErrorOptions } from './weft-error.js';
