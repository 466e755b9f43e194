// Rewrites the config tables in README.md from the programs' schemas: `npm run docs:config`.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, replaceBlock } from '@causeway/shared';
import { cloudSchema } from '@causeway/cloud/config/schema.js';
import { edgeSchema } from '@causeway/edge/config/schema.js';

export function renderReadme(readme: string): string {
  return replaceBlock(replaceBlock(readme, 'edge', configTable(edgeSchema)), 'cloud', configTable(cloudSchema));
}

if (process.argv[1]?.endsWith('gen-config-docs.ts')) {
  const file = new URL('../README.md', import.meta.url);
  const before = readFileSync(file, 'utf8');
  const after = renderReadme(before);
  writeFileSync(file, after);
  console.log(before === after ? 'README config tables already up to date' : 'README config tables rewritten');
}
