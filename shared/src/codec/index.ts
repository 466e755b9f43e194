export * from './content-type.js';
export * from './envelope-codec.js';
