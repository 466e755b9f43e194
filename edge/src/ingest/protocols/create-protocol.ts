import { ConfigError } from '@causeway/shared';
import type { Protocol } from './protocol.js';
import { jsonLines } from './json-lines.js';
import { keyValue } from './key-value.js';
import { csv } from './csv.js';
import { nmea } from './nmea.js';

export interface ProtocolConfig {
  type: 'json' | 'kv' | 'csv' | 'nmea';
  /** csv: field name per column */
  columns?: string[];
  /** csv: column separator; kv: pair separator */
  separator?: string;
}

/** The protocol a port's config names; `where` prefixes a ConfigError's message. */
export function createProtocol(cfg: ProtocolConfig | undefined, where: string): Protocol {
  const c = cfg ?? { type: 'json' };
  switch (c.type) {
    case 'json':
      return jsonLines;
    case 'kv':
      return keyValue(c.separator === undefined ? {} : { pairSeparator: c.separator });
    case 'csv':
      if (!Array.isArray(c.columns) || c.columns.length === 0 || !c.columns.every((x) => typeof x === 'string')) {
        throw new ConfigError(`${where}.protocol.columns must be a non-empty array of column names for csv`, { key: `${where}.protocol.columns` });
      }
      return csv({ columns: c.columns, ...(c.separator === undefined ? {} : { separator: c.separator }) });
    case 'nmea':
      return nmea;
    default:
      throw new ConfigError(`${where}.protocol.type must be json, kv, csv or nmea, got ${JSON.stringify((c as { type: unknown }).type)}`, { key: `${where}.protocol.type` });
  }
}
