import { ConfigError } from '@causeway/shared';
import { type Rule, type Sample, type StepResult, num, onlyKeys } from './rule.js';

export const WINDOW_STATS = ['count', 'min', 'max', 'mean', 'last', 'stddev'] as const;
export type WindowStat = (typeof WINDOW_STATS)[number];

export interface WindowState {
  /** start of the open window (aligned to a multiple of ms since the epoch), null when none is open */
  start: number | null;
  count: number;
  min: number;
  max: number;
  /** Welford's running mean and sum of squared deviations: stable where sum-of-squares cancels */
  mean: number;
  m2: number;
  last: number;
}

const EMPTY: WindowState = { start: null, count: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0, last: 0 };

/** Adds one value to a window. Pure; exported for tests. */
export function addToWindow(w: WindowState, start: number, v: number): WindowState {
  const count = w.count + 1;
  const d = v - w.mean;
  const mean = w.mean + d / count;
  return { start, count, min: Math.min(w.min, v), max: Math.max(w.max, v), mean, m2: w.m2 + d * (v - mean), last: v };
}

/** The statistics of a closed window; stddev is the population standard deviation. */
export function windowStats(w: WindowState, stats: readonly WindowStat[], ts: number): Sample[] {
  const all: Record<WindowStat, number> = { count: w.count, min: w.min, max: w.max, mean: w.mean, last: w.last, stddev: Math.sqrt(w.m2 / w.count) };
  return stats.map((s) => ({ ts, value: all[s], suffix: s }));
}

/**
 * Tumbling windows of `ms`, aligned to the epoch so every gateway's windows line up. A window closes
 * when a sample of a later window arrives or, through tick, when the clock passes its end; it then
 * emits one sample per statistic (stream `<stream>.<stat>`) stamped with the window's end. A sample
 * older than the open window (late) is counted into the open one rather than reopening a closed one.
 */
export function windowRule(cfg: Record<string, unknown>, where: string): Rule<WindowState> {
  onlyKeys(cfg, ['ms', 'stats'], where);
  const ms = num(cfg, 'ms', where, { min: 0, exclusiveMin: true, required: true })!;
  const stats = (cfg.stats ?? WINDOW_STATS) as WindowStat[];
  if (!Array.isArray(stats) || stats.length === 0 || !stats.every((s) => WINDOW_STATS.includes(s))) {
    throw new ConfigError(`${where}: "stats" must be a non-empty list of ${WINDOW_STATS.join(', ')}, got ${JSON.stringify(cfg.stats)}`, { key: `${where}.stats` });
  }
  const close = (w: WindowState): Sample[] => (w.start === null || w.count === 0 ? [] : windowStats(w, stats, w.start + ms));
  return {
    name: where,
    init: () => EMPTY,
    step: (state, s): StepResult<WindowState> => {
      const start = Math.floor(s.ts / ms) * ms;
      if (state.start !== null && start > state.start) {
        return { state: addToWindow(EMPTY, start, s.value), out: close(state), events: [] };
      }
      return { state: addToWindow(state, state.start ?? start, s.value), out: [], events: [] };
    },
    tick: (state, now): StepResult<WindowState> => {
      if (state.start === null || now < state.start + ms) return { state, out: [], events: [] };
      return { state: EMPTY, out: close(state), events: [] };
    },
  };
}
