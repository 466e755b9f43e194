/**
 * What each unit of something (an idle connection, a session) holds, from two V8 heap snapshots taken
 * before and after N of them were made (issue 15): live objects and bytes per constructor, the difference
 * divided by N, the largest first. Take the snapshots from causeway-cloud with
 * `CAUSEWAY_BENCH_CLOUD_NODE_ARGS=--heapsnapshot-signal=SIGUSR2` (or `node --heapsnapshot-signal=SIGUSR2
 * dist/cloud/src/main.js …`) and `kill -USR2 PID` before and after; each snapshot runs a full GC first.
 *
 *   node --import tsx bench/lib/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot N [TOP]
 */
import { readFileSync } from 'node:fs';

/** The parts of a .heapsnapshot file this reads. */
export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  count: number;
  bytes: number;
}

/**
 * Objects and self bytes per group: an object or closure by its constructor or function name (closures
 * prefixed "closure "), anything else by its node type in parentheses ("(string)", "(array)", "(code)").
 */
export function groupHeap(s: HeapSnapshot): Map<string, HeapGroup> {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, HeapGroup>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    const name = s.strings[s.nodes[i + iName]!] ?? '';
    const key = type === 'object' || type === 'native' ? name : type === 'closure' ? `closure ${name}` : `(${type})`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += s.nodes[i + iSize]!;
    out.set(key, g);
  }
  return out;
}

export interface PerUnitRow {
  group: string;
  /** objects per unit (may be fractional: shared or batched objects) */
  count: number;
  bytes: number;
}

/** (after − before) ÷ units per group, largest bytes first, and the total bytes per unit. */
export function perUnit(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, units: number): { total: number; rows: PerUnitRow[] } {
  const rows: PerUnitRow[] = [];
  let total = 0;
  for (const group of new Set([...before.keys(), ...after.keys()])) {
    const a = after.get(group) ?? { count: 0, bytes: 0 };
    const b = before.get(group) ?? { count: 0, bytes: 0 };
    total += a.bytes - b.bytes;
    rows.push({ group, count: (a.count - b.count) / units, bytes: (a.bytes - b.bytes) / units });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  return { total: total / units, rows };
}

function main(): void {
  const [beforeFile, afterFile, nArg, topArg] = process.argv.slice(2);
  const units = Number(nArg);
  if (beforeFile === undefined || afterFile === undefined || !(units > 0)) throw new Error('usage: heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot N [TOP]');
  const read = (f: string): Map<string, HeapGroup> => groupHeap(JSON.parse(readFileSync(f, 'utf8')) as HeapSnapshot);
  const { total, rows } = perUnit(read(beforeFile), read(afterFile), units);
  process.stdout.write(`live heap per unit: ${total.toFixed(0)} B\n`);
  for (const r of rows.slice(0, Number(topArg ?? 25))) process.stdout.write(`${r.bytes.toFixed(1).padStart(9)} B ${r.count.toFixed(2).padStart(7)} objects  ${r.group}\n`);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
