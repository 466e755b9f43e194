export * from './topic-filter.js';
export * from './topic-trie.js';
export * from './topic-id.js';
export * from './topic-scheme.js';
export * from './shared-subscription.js';
export * from './topic-set.js';
