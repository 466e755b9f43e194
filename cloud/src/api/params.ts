import { ApiError } from './http-status.js';

/** Typed readers for request bodies and query strings; a wrong type is a 400 naming the field. */
export function str(o: Record<string, unknown>, k: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ApiError('API_BAD_REQUEST', `${k} must be a string`);
  return v;
}

export function reqStr(o: Record<string, unknown>, k: string): string {
  const v = str(o, k);
  if (v === undefined || v === '') throw new ApiError('API_BAD_REQUEST', `${k} is required`);
  return v;
}

export function int(o: Record<string, unknown>, k: string, def: number, min: number, max: number): number {
  const raw = o[k];
  if (raw === undefined || raw === null || raw === '') return def;
  const v = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new ApiError('API_BAD_REQUEST', `${k} must be an integer from ${min} to ${max}`);
  return v;
}

export function strArray(o: Record<string, unknown>, k: string): string[] | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ApiError('API_BAD_REQUEST', `${k} must be an array of strings`);
  return v as string[];
}

export function numArray(o: Record<string, unknown>, k: string): number[] {
  const v = o[k];
  if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x))) throw new ApiError('API_BAD_REQUEST', `${k} must be an array of integers`);
  return v as number[];
}

export function bool(o: Record<string, unknown>, k: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ApiError('API_BAD_REQUEST', `${k} must be true or false`);
  return v;
}

/** Query string as a plain object for the readers above. */
export function queryObject(q: URLSearchParams): Record<string, unknown> {
  return Object.fromEntries(q.entries());
}
