import { CausewayError } from './causeway-error.js';

/** A configuration value failed validation. Names the key, the offending value and what was expected. */
export class ConfigError extends CausewayError {
  override name = 'ConfigError';
  readonly key: string | undefined;

  constructor(message: string, options?: { key?: string; cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.key = options?.key;
  }
}
