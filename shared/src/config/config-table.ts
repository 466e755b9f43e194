import { describeSchema, type Schema } from './load-config.js';

/**
 * The README's config table of a program, generated from its convict schema so the two never drift
 * (`npm run docs:config` rewrites README.md; a test fails when it is stale). Pure.
 */
export function configTable(schema: Schema): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = describeSchema(schema).map((e) => {
    const def = e.sensitive ? '*(secret)*' : `\`${JSON.stringify(e.default)}\``;
    return `| \`${e.key}\` | \`${e.env}\` | ${def} | ${esc(e.doc)} |`;
  });
  return ['| key (`--key value`) | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Replaces the text between `<!-- config:NAME -->` and `<!-- /config:NAME -->` in a document. */
export function replaceBlock(doc: string, name: string, body: string): string {
  const start = `<!-- config:${name} -->`;
  const end = `<!-- /config:${name} -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${start} … ${end} block`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}
