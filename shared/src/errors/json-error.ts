import { CausewayError } from './causeway-error.js';

/**
 * External JSON refused: it does not parse (`JSON_MALFORMED`) or it has a key that would reach an
 * object's prototype when merged (`JSON_UNSAFE_KEY`, issue 23 item 2). `path` names the offending key
 * (`config.cloud.__proto__`) so the sender can find it.
 */
export class JsonError extends CausewayError {
  override name = 'JsonError';
  readonly path: string | undefined;

  constructor(code: 'JSON_MALFORMED' | 'JSON_UNSAFE_KEY', message: string, options?: { path?: string; cause?: unknown }) {
    super(code, message, options);
    this.path = options?.path;
  }
}
