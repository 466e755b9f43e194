import { didYouMean } from '../../../shared/src/cli/did-you-mean.js';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';
import type { ApiClient } from './api-client.js';
import { ApiRefusedError } from './api-client.js';

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
