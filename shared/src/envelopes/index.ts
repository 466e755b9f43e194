export * from './types.js';
export { validateEnvelope } from './validate.js';
