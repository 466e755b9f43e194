import type { IncomingMessage } from 'node:http';
import { JsonError, parseJson } from '@causeway/shared';
import { ApiError } from './http-status.js';

/** Reads a JSON object body of at most `limit` bytes; {} when empty. Bad JSON, a prototype key or a non-object is a 400. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > limit) throw new ApiError('API_TOO_LARGE', `request body is larger than ${limit} bytes`);
      chunks.push(c as Buffer);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The client went away or broke the framing mid-body: its fault, not a 500.
    throw new ApiError('API_BAD_REQUEST', 'the request body was not received completely', { cause: err });
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    // A `__proto__`, `constructor` or `prototype` key at any depth is refused: 400 JSON_UNSAFE_KEY naming its path (issue 23 item 2).
    parsed = parseJson(Buffer.concat(chunks).toString('utf8'), 'request body');
  } catch (err) {
    if (err instanceof JsonError && err.code === 'JSON_UNSAFE_KEY') throw err;
    throw new ApiError('API_BAD_REQUEST', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError('API_BAD_REQUEST', 'request body must be a JSON object');
  return parsed as Record<string, unknown>;
}
