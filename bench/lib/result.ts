/** What every bench/NAME.ts returns from `run(args)`; bench/run.ts turns it into tables. */

/** One contender's figure in one case. `value` is absent when the contender was skipped. */
export interface ResultRow {
  /** the scenario, e.g. "(b) 10,000 subs × 100,000 topics" or "QoS 1, 200 subscribers" */
  case: string;
  /** e.g. "causeway TopicTrie", "mosquitto 2.0.11" */
  contender: string;
  /** true for Causeway's own row: the others' ratios are taken against it */
  ours: boolean;
  /** the figure, in the benchmark's unit (higher is better) */
  value?: number;
  /** why there is no figure */
  skipped?: string;
  /** secondary facts, e.g. latency percentiles or delivered/expected */
  detail?: string;
}

export interface BenchResult {
  /** file name under bench/, e.g. "topic-match" */
  name: string;
  /** the unit of every row's value, e.g. "ops/s", "msgs/s" */
  unit: string;
  rows: ResultRow[];
  /** free-text facts worth recording with the figures (parameters, caveats) */
  notes: string[];
}

/** Flags as parsed by bench/lib/args.ts. */
export type BenchArgs = Readonly<Record<string, string | boolean>>;

/** The module shape bench/run.ts loads. */
export interface BenchModule {
  /** one line for `--list` */
  readonly description: string;
  run(args: BenchArgs): Promise<BenchResult>;
}
