export { CausewayError } from './causeway-error.js';
export { ConfigError } from './config-error.js';
export { DecodeError, type DecodeReason } from './decode-error.js';
export { JsonError } from './json-error.js';
export { TopicError } from './topic-error.js';
export { EXIT, exitCodeFor } from './exit-codes.js';
