import { ConfigError } from '@causeway/shared';
import type { Framer } from './framer.js';
import { createLineFramer } from './line-framer.js';
import { createLengthPrefixedFramer } from './length-prefixed-framer.js';

export interface FramingConfig {
  type: 'line' | 'length-prefixed';
  delimiter?: string;
  maxLength?: number;
  lengthBytes?: 1 | 2 | 4;
  sync?: number;
}

/** Builds the framer a port's config names; `where` prefixes the message of a ConfigError. */
export function createFramer(cfg: FramingConfig | undefined, where: string): Framer {
  const c = cfg ?? { type: 'line' };
  if (c.maxLength !== undefined && (!Number.isInteger(c.maxLength) || c.maxLength < 1)) {
    throw new ConfigError(`${where}.framing.maxLength must be a positive integer, got ${JSON.stringify(c.maxLength)}`, { key: `${where}.framing.maxLength` });
  }
  switch (c.type) {
    case 'line':
      if (c.delimiter !== undefined && (typeof c.delimiter !== 'string' || c.delimiter.length === 0)) {
        throw new ConfigError(`${where}.framing.delimiter must be a non-empty string`, { key: `${where}.framing.delimiter` });
      }
      return createLineFramer({ ...(c.delimiter === undefined ? {} : { delimiter: c.delimiter }), ...(c.maxLength === undefined ? {} : { maxLength: c.maxLength }) });
    case 'length-prefixed':
      if (c.lengthBytes !== undefined && ![1, 2, 4].includes(c.lengthBytes)) {
        throw new ConfigError(`${where}.framing.lengthBytes must be 1, 2 or 4, got ${JSON.stringify(c.lengthBytes)}`, { key: `${where}.framing.lengthBytes` });
      }
      if (c.sync !== undefined && (!Number.isInteger(c.sync) || c.sync < 0 || c.sync > 255)) {
        throw new ConfigError(`${where}.framing.sync must be a byte 0..255, got ${JSON.stringify(c.sync)}`, { key: `${where}.framing.sync` });
      }
      return createLengthPrefixedFramer({
        ...(c.lengthBytes === undefined ? {} : { lengthBytes: c.lengthBytes }),
        ...(c.maxLength === undefined ? {} : { maxLength: c.maxLength }),
        ...(c.sync === undefined ? {} : { sync: c.sync }),
      });
    default:
      throw new ConfigError(`${where}.framing.type must be "line" or "length-prefixed", got ${JSON.stringify((c as { type: unknown }).type)}`, { key: `${where}.framing.type` });
  }
}
