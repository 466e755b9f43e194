// The subset of qlobber 8 the benchmarks use (the package ships no types).
declare module 'qlobber' {
  namespace qlobber {
    interface QlobberOptions {
      separator?: string;
      wildcard_one?: string;
      wildcard_some?: string;
      match_empty_levels?: boolean;
    }
    class Qlobber<V = unknown> {
      constructor(options?: QlobberOptions);
      add(topic: string, val: V): this;
      remove(topic: string, val?: V): this;
      /** every value whose pattern matches; may hold duplicates */
      match(topic: string): V[];
      test(topic: string, val: V): boolean;
    }
    class QlobberTrue {
      constructor(options?: QlobberOptions);
      add(topic: string): this;
      remove(topic: string): this;
      test(topic: string): boolean;
    }
  }
  export = qlobber;
}
