export { WeftError, isWeftError, type WeftErrorOptions } from './weft-error.js';
export * as ca from './gen/weft/ca/v1/ca.js';
export { createLogger, isLogLevel, type LogFields, type Logger, type LogLevel, type LoggerOptions } from './log.js';
export { createAdminServer, listenAdmin, type AdminReply, type AdminRoute } from './admin-http.js';
export { parseHostPort, settingReader, settingsHelp, type SettingSpec, type SettingSpecs } from './settings.js';
export * as meshWire from './gen/weft/mesh/v1/mesh.js';
export * from './mesh/index.js';
