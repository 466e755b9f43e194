import { inflateRawSync } from 'node:zlib';
import { CausewayError } from '@causeway/shared';

/**
 * A gateway's support bundle as a file (issue 20: "downloadable from the API"): the answer of its
 * `support-bundle` built-in (edge/src/logs/log-commands.ts), with the compressed log slice expanded into
 * lines. `GET /v1/gateways/{id}/bundle` serves it and `causeway bundle` writes it: one decoder for both.
 */

/** Inflated log slices larger than this are refused (a gateway's answer is data from the field, not trusted). */
export const MAX_INFLATED_LOG_BYTES = 4 * 1024 * 1024;

/** A log slice as the agent answers it (edge/src/logs/log-query.ts). */
export interface LogSlice {
  deflatedBase64: string;
  lines: number;
}

/** Pure: the lines of a log slice; a slice that does not inflate, or inflates past the bound, is BUNDLE_INVALID. */
export function decodeSlice(slice: LogSlice): string[] {
  if (slice.lines === 0) return [];
  try {
    return inflateRawSync(Buffer.from(slice.deflatedBase64, 'base64'), { maxOutputLength: MAX_INFLATED_LOG_BYTES }).toString('utf8').split('\n');
  } catch (cause) {
    throw new CausewayError('BUNDLE_INVALID', `the gateway's log slice does not decode (${(cause as Error).message})`, { cause });
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Pure: the bundle document an operator downloads, from the command's output. */
export function bundleDocument(output: unknown): Record<string, unknown> {
  if (!isObj(output)) throw new CausewayError('BUNDLE_INVALID', 'the support-bundle answer is not an object');
  const logs = output.logs;
  if (!isObj(logs)) return { ...output };
  if (typeof logs.deflatedBase64 !== 'string' || typeof logs.lines !== 'number') throw new CausewayError('BUNDLE_INVALID', 'the support-bundle answer has a malformed logs slice');
  const { deflatedBase64: _, ...rest } = logs;
  return { ...output, logs: { ...rest, lines: decodeSlice({ deflatedBase64: logs.deflatedBase64, lines: logs.lines }) } };
}

/** Pure: a file name for a gateway's bundle (ids may hold characters a Content-Disposition should not). */
export function bundleFileName(gateway: string): string {
  return `${gateway.replace(/[^A-Za-z0-9_.-]/g, '_')}-bundle.json`;
}
