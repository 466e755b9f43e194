import type { MessageProperties, QoS } from '@causeway/shared';
import type { NewMessage, PublishMeta, StoredMessage } from '../contract.js';

/** A row of the `messages` table as better-sqlite3 returns it. */
export interface MessageRow {
  id: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string;
  meta: string | null;
  created_at: number;
  expires_at: number | null;
}

export const MESSAGE_COLUMNS = 'id, topic, payload, qos, retain, properties, meta, created_at, expires_at';

/** PublishMeta as JSON: correlationData is binary, so it travels as base64. */
export function encodeMeta(meta: PublishMeta | undefined): string | null {
  if (meta === undefined) return null;
  const { correlationData, ...rest } = meta;
  return JSON.stringify(correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') });
}

export function decodeMeta(json: string | null): PublishMeta | undefined {
  if (json === null) return undefined;
  const raw = JSON.parse(json) as Omit<PublishMeta, 'correlationData'> & { correlationData?: string };
  const { correlationData, ...rest } = raw;
  return correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
}

/** Bind parameters for `INSERT INTO messages (MESSAGE_COLUMNS)`. */
export function messageParams(id: number, m: NewMessage): unknown[] {
  return [
    id,
    m.topic,
    m.payload,
    m.qos,
    m.retain ? 1 : 0,
    JSON.stringify(m.properties),
    encodeMeta(m.meta),
    m.createdAt,
    m.expiresAt ?? null,
  ];
}

/** Row → StoredMessage, optional fields omitted when absent (exactOptionalPropertyTypes). */
export function rowToMessage(row: MessageRow): StoredMessage {
  const m: StoredMessage = {
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    qos: row.qos as QoS,
    retain: row.retain === 1,
    properties: JSON.parse(row.properties) as MessageProperties,
    createdAt: row.created_at,
  };
  const meta = decodeMeta(row.meta);
  if (meta !== undefined) m.meta = meta;
  if (row.expires_at !== null) m.expiresAt = row.expires_at;
  return m;
}
