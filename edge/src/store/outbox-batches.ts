import type Database from 'better-sqlite3';
import type { Reading } from '@causeway/shared';
import type { FormOptions } from '../uplink/batch-source.js';

export type { FormOptions } from '../uplink/batch-source.js';

export type RecordKind = 'reading' | 'event' | 'envelope';

export interface OutboxRow {
  id: number;
  kind: RecordKind;
  topic: string;
  device: string;
  stream: string;
  body: Buffer;
  priority: number;
  created: number;
  bytes: number;
  /**
   * a reading's fields as it was added (what `body` encodes), while the row is in memory: a direct batch's
   * envelope is built from it instead of decoding `body` again (issue 16). Never stored; rows read from the
   * file have none.
   */
  reading?: ReadingFields;
}

/** A reading's fields in a row: the Reading of the wire contract without its seq (the row id). */
export type ReadingFields = Omit<Reading, 'seq'>;

/** A set of rows published as one message. Its id and rows never change once formed. */
export interface StoredBatch {
  id: string;
  kind: RecordKind;
  topic: string;
  device: string;
  stream: string;
  priority: number;
  rows: OutboxRow[];
}

const COLUMNS = 'id, kind, topic, device, stream, body, priority, created, bytes';

/**
 * Forms up to `n` new batches from unsent rows, live-first: alarms, then the streams with telemetry
 * committed since `liveFrom` (the live window), then the telemetry backlog, then bulk; within a stream
 * always oldest first, so a stream's readings reach the cloud in order; one
 * topic per batch, bounded by `maxRecords` and `maxBytes`; events and envelopes one per message.
 * The batch id (`${epoch}-${firstRowId}`) is written onto the rows in one durable transaction BEFORE
 * anything is published, so after a crash the same rows go out again as the same batch with the same
 * id, and the cloud's dedupe (clientId:envelopeId) drops the copy.
 */
export function formNewBatches(db: Database.Database, epoch: string, liveFrom: number, n: number, f: FormOptions): StoredBatch[] {
  const seed = db.prepare('SELECT topic, kind FROM records WHERE batch_id IS NULL AND priority = ? AND id >= ? ORDER BY id LIMIT 1');
  const gather = db.prepare(`SELECT ${COLUMNS} FROM records WHERE batch_id IS NULL AND topic = ? AND priority = ? AND id >= ? ORDER BY id LIMIT ?`);
  const mark = db.prepare('UPDATE records SET batch_id = ?, attempts = attempts + 1 WHERE batch_id IS NULL AND topic = ? AND priority = ? AND id BETWEEN ? AND ?');
  const classes: Array<[number, number]> = [[0, 0], [1, liveFrom], [1, 0], [2, 0]];
  const out: StoredBatch[] = [];
  db.transaction(() => {
    for (const [prio, from] of classes) {
      while (out.length < n) {
        const s = seed.get(prio, from) as { topic: string; kind: RecordKind } | undefined;
        if (s === undefined) break;
        const limit = s.kind === 'reading' ? Math.max(1, f.maxRecords) : 1;
        // A live topic is picked for its fresh rows, but its batch starts at the topic's OLDEST unsent
        // row: live-first orders streams, never the readings within one (per-stream order is kept).
        const rows = gather.all(s.topic, prio, 0, limit) as OutboxRow[];
        let bytes = 0;
        let take = 0;
        while (take < rows.length && (take === 0 || bytes + rows[take]!.bytes <= f.maxBytes)) bytes += rows[take++]!.bytes;
        const picked = rows.slice(0, take);
        const first = picked[0]!;
        const id = `${epoch}-${first.id}`;
        // The picked rows are exactly the unsent rows of this topic and priority between the first and
        // the last id (gather read them in id order), so the range names them and nothing else.
        mark.run(id, s.topic, prio, first.id, picked.at(-1)!.id);
        out.push({ id, kind: first.kind, topic: first.topic, device: first.device, stream: first.stream, priority: prio, rows: picked });
      }
    }
  })();
  return out;
}

/** Batches already formed, lowest priority rank first then oldest, skipping those `skip` names. */
export function loadStoredBatches(db: Database.Database, skip: (batchId: string) => boolean, limit: number): StoredBatch[] {
  const ids = db.prepare('SELECT batch_id AS b, min(priority) AS p, min(id) AS m FROM records WHERE batch_id IS NOT NULL GROUP BY batch_id ORDER BY p, m').all() as Array<{ b: string; p: number }>;
  const rowsOf = db.prepare(`SELECT ${COLUMNS} FROM records WHERE batch_id = ? ORDER BY id`);
  const out: StoredBatch[] = [];
  for (const { b, p } of ids) {
    if (out.length >= limit) break;
    if (skip(b)) continue;
    const rows = rowsOf.all(b) as OutboxRow[];
    const first = rows[0]!;
    out.push({ id: b, kind: first.kind, topic: first.topic, device: first.device, stream: first.stream, priority: p, rows });
  }
  return out;
}
