import convict from 'convict';

/**
 * Registers a named convict format for a structured key (a JSON list or object) and returns its name:
 * convict accepts only functions or registered names as `format`, and only a registered format can
 * `coerce`, which parses JSON given as a flag or an environment variable. convict turns an Error thrown
 * by `check` into "key: message", so the message says what is wrong below the key (`[2].target.url …`).
 */
export function jsonFormat(name: string, check: (v: unknown) => void): string {
  convict.addFormat({
    name,
    validate: check,
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v; // validate then says what was expected
      }
    },
  });
  return name;
}
