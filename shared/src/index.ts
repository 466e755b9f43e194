export * from './errors/index.js';
export * from './topics/index.js';
export * from './properties/message-properties.js';
export * from './envelopes/index.js';
export * from './codec/index.js';
export * from './log/logger.js';
export * from './config/load-config.js';
export * from './cli/program.js';
