export * from './types.js';
export { validateEnvelope } from './validate.js';
export * from './dedupe-key.js';
