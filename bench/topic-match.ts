/**
 * Topic matching: Causeway's `matchTopic` and `TopicTrie` (shared/src/topics) against qlobber configured
 * exactly as aedes configures it (mqemitter: separator '/', wildcard_one '+', wildcard_some '#',
 * match_empty_levels true). Both sides must agree on every match before anything is timed.
 *
 *   npm run bench -- topic-match [--quick] [--subs 10000] [--topics 100000] [--ms 1000] [--rounds 3]
 */
import qlobber from 'qlobber';
import { matchTopic, TopicTrie } from '@causeway/shared';
import { boolFlag, intFlag } from './lib/args.js';
import { EDGE_PAIRS, fleetFilters, fleetTopics, type FleetShape } from './lib/fleet.js';
import { formatFigure } from './lib/report.js';
import { timeOps } from './lib/ops-timer.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'matchTopic/TopicTrie vs qlobber (as aedes uses it): 1 filter × 1 topic, and N subs × M topics';

const QLOBBER_MQTT = { separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true } as const;

/** Thrown when the two matchers disagree: a benchmark of a wrong answer is worthless. */
export class MatchMismatchError extends Error {
  override readonly name = 'MatchMismatchError';
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const sa = [...new Set(a)].sort((x, y) => x - y);
  const sb = [...new Set(b)].sort((x, y) => x - y);
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

/**
 * Throws a MatchMismatchError naming the first topic on which the two subscription indexes return different
 * sets of values; returns the total number of matches (for the "subs per topic" figure).
 */
export function checkSameMatches(topics: readonly string[], ours: (t: string) => readonly number[], theirs: (t: string) => readonly number[]): number {
  let total = 0;
  for (const t of topics) {
    const a = ours(t);
    const b = theirs(t);
    if (!sameSet(a, b)) throw new MatchMismatchError(`topic "${t}": causeway matched ${new Set(a).size} subs, qlobber ${new Set(b).size}`);
    total += new Set(a).size;
  }
  return total;
}

function caseA(shape: FleetShape, opts: { durationMs: number; rounds: number }): ResultRow[] {
  // A fixed ring of pairs (half from the fleet, plus the edge cases) so neither side is timed on one
  // constant the JIT could fold.
  const filters = fleetFilters(48, shape, 11);
  const topics = fleetTopics(48, shape, 12);
  const pairs: Array<readonly [string, string]> = [...EDGE_PAIRS];
  for (let i = 0; i < filters.length; i++) pairs.push([filters[i]!, topics[i]!]);
  // Make about half of them match by pairing each filter with a topic it was built to catch.
  for (const f of filters) pairs.push([f, f.replaceAll('#', 'x/y').replaceAll('+', 'any')]);
  const qs = pairs.map(([f]) => new qlobber.QlobberTrue(QLOBBER_MQTT).add(f));
  let matches = 0;
  for (let i = 0; i < pairs.length; i++) {
    const [f, t] = pairs[i]!;
    const ours = matchTopic(f, t);
    const theirs = qs[i]!.test(t);
    if (ours !== theirs) throw new MatchMismatchError(`filter "${f}" topic "${t}": matchTopic=${ours} qlobber=${theirs}`);
    if (ours) matches++;
  }
  const n = pairs.length;
  const ours = timeOps(() => {
    let s = 0;
    for (let i = 0; i < n; i++) if (matchTopic(pairs[i]![0], pairs[i]![1])) s++;
    return { ops: n, sink: s };
  }, opts);
  const theirs = timeOps(() => {
    let s = 0;
    for (let i = 0; i < n; i++) if (qs[i]!.test(pairs[i]![1])) s++;
    return { ops: n, sink: s };
  }, opts);
  const label = '(a) 1 filter × 1 topic';
  const spread = (r: number[]): string => `rounds ${r.map(formatFigure).join(' / ')}`;
  return [
    { case: label, contender: 'causeway matchTopic', ours: true, value: ours.opsPerSec, detail: `${n} pairs (${matches} match); ${spread(ours.rounds)}` },
    { case: label, contender: 'qlobber QlobberTrue.test', ours: false, value: theirs.opsPerSec, detail: spread(theirs.rounds) },
  ];
}

function caseB(shape: FleetShape, subs: number, topicCount: number, opts: { durationMs: number; rounds: number }): ResultRow[] {
  const filters = fleetFilters(subs, shape, 21);
  const topics = fleetTopics(topicCount, shape, 22);
  const trie = new TopicTrie<number>();
  const q = new qlobber.Qlobber<number>(QLOBBER_MQTT);
  const any = new qlobber.QlobberTrue(QLOBBER_MQTT);
  filters.forEach((f, i) => {
    trie.add(f, i);
    q.add(f, i);
    any.add(f);
  });
  const deliveries = checkSameMatches(topics, (t) => trie.match(t), (t) => q.match(t));
  for (const t of topics) {
    if (trie.hasMatch(t) !== any.test(t)) throw new MatchMismatchError(`topic "${t}": hasMatch and QlobberTrue.test disagree`);
  }
  const n = topics.length;
  // One batch = a slice of the topic list, so a round is never stuck in one long pass.
  const slice = Math.min(n, 1000);
  const sliced = (fn: (t: string) => number) => {
    let at = 0;
    return () => {
      let s = 0;
      for (let i = 0; i < slice; i++) {
        s += fn(topics[at]!);
        at = at + 1 === n ? 0 : at + 1;
      }
      return { ops: slice, sink: s };
    };
  };
  const label = `(b) ${subs.toLocaleString('en-US')} subs, ${n.toLocaleString('en-US')} topics`;
  const detail = `avg ${(deliveries / n).toFixed(1)} matching subs/topic; topics/s`;
  const ours = timeOps(sliced((t) => trie.match(t).length), opts);
  // aedes' mqemitter calls Qlobber.match and then delivers to each value; duplicates are its caller's problem.
  const theirs = timeOps(sliced((t) => q.match(t).length), opts);
  const label2 = `(c) any match? ${subs.toLocaleString('en-US')} subs`;
  const oursAny = timeOps(sliced((t) => (trie.hasMatch(t) ? 1 : 0)), opts);
  const theirsAny = timeOps(sliced((t) => (any.test(t) ? 1 : 0)), opts);
  return [
    { case: label, contender: 'causeway TopicTrie.match', ours: true, value: ours.opsPerSec, detail },
    { case: label, contender: 'qlobber Qlobber.match', ours: false, value: theirs.opsPerSec, detail: 'aedes/mqemitter configuration; result may hold duplicates' },
    { case: label2, contender: 'causeway TopicTrie.hasMatch', ours: true, value: oursAny.opsPerSec, detail: 'topics/s' },
    { case: label2, contender: 'qlobber QlobberTrue.test', ours: false, value: theirsAny.opsPerSec, detail: 'as aedes-persistence uses it' },
  ];
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const subs = intFlag(args, 'subs', quick ? 2_000 : 10_000);
  const topics = intFlag(args, 'topics', quick ? 10_000 : 100_000);
  const durationMs = intFlag(args, 'ms', quick ? 200 : 1000);
  const rounds = intFlag(args, 'rounds', quick ? 1 : 3);
  const shape: FleetShape = { gateways: Math.max(10, Math.floor(subs / 5)), devicesPerGateway: 50 };
  const opts = { durationMs, rounds };
  const rows = [...caseA(shape, opts), ...caseB(shape, subs, topics, opts)];
  return {
    name: 'topic-match',
    unit: 'ops/s',
    rows,
    notes: [
      `single process, ${rounds} timed round(s) of ${durationMs} ms per contender after a warm-up; the median round is reported`,
      `fleet: ${shape.gateways} gateways × ${shape.devicesPerGateway} devices; filters like telemetry/gw12/+/temp, cmd/gw5/#, +/gw1/#, plus one "#"; seeded, so every run uses the same data`,
      'both matchers were checked to agree on every pair and every topic (including empty-level and parent-level edge cases) before timing; $-topics are excluded because qlobber does not implement [MQTT-4.7.2-1]',
    ],
  };
}
