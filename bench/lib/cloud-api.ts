/**
 * A minimal client of causeway-cloud's HTTP API (docs/api.md) for the benchmarks: bearer token read from
 * the file the broker generated, JSON in and out, a clear error naming the route on any non-2xx answer.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningBroker } from './competitors.js';

export interface CloudApi {
  call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

/** Waits (bounded) for the operator-token file of a causeway broker started with `api: true`. */
export async function cloudApi(broker: RunningBroker, timeoutMs = 10_000): Promise<CloudApi> {
  if (broker.apiUrl === undefined || broker.operatorTokenFile === undefined) throw new Error(`${broker.label} was not started with its HTTP API`);
  const deadline = Date.now() + timeoutMs;
  let token = '';
  while (token === '' && Date.now() < deadline) {
    try {
      token = readFileSync(broker.operatorTokenFile, 'utf8').trim();
    } catch {
      await sleep(100);
    }
  }
  if (token === '') throw new Error(`no operator token in ${broker.operatorTokenFile} after ${timeoutMs} ms`);
  const base = broker.apiUrl;
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (err) {
        // undici says only "fetch failed"; the reason (ECONNREFUSED, socket closed…) is in its cause
        const cause = (err as { cause?: unknown }).cause;
        throw new Error(`${method} ${path}: ${err instanceof Error ? err.message : String(err)}${cause instanceof Error ? ` (${cause.message})` : ''}`, { cause: err });
      }
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
  };
}
