import { didYouMean, CausewayError } from '@causeway/shared';
import { type ApiClient, ApiRefusedError } from './api-client.js';

const NOT_FOUND = new Set(['API_NOT_FOUND', 'REGISTRY_NOT_FOUND', 'COMMAND_UNKNOWN_DEVICE']);

/**
 * Runs `fn`; when the API says an id does not exist, asks for the registered ids and adds "did you mean
 * th-1?" to the one-line error (issue 24). Other errors pass unchanged.
 */
export async function suggestingIds<T>(api: ApiClient, id: string, fn: () => Promise<T>, kinds?: string[]): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ApiRefusedError) || !NOT_FOUND.has(err.code)) throw err;
    const list = await api.call('GET', '/v1/devices').catch(() => undefined);
    const ids = ((list?.devices ?? []) as Array<{ id: string; kind: string }>).filter((d) => kinds === undefined || kinds.includes(d.kind)).map((d) => d.id);
    const hint = didYouMean(id, ids);
    if (hint === '') throw err;
    throw Object.assign(new ApiRefusedError(err.status, err.code, `${err.message}${hint}`), { cause: err }) as CausewayError;
  }
}

/** Like suggestingIds for a group name: when nothing matched the group, "did you mean north?". */
export async function suggestingGroups<T>(api: ApiClient, group: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ApiRefusedError) || err.code !== 'COMMAND_NO_TARGETS') throw err;
    const names = (((await api.call('GET', '/v1/groups').catch(() => undefined))?.groups ?? []) as Array<{ name: string }>).map((g) => g.name);
    const hint = didYouMean(group, names);
    if (hint === '') throw err;
    throw Object.assign(new ApiRefusedError(err.status, err.code, `${err.message}${hint}`), { cause: err }) as CausewayError;
  }
}
