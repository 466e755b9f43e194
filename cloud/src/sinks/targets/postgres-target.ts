import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CausewayError, type Logger } from '@causeway/shared';
import type { PostgresTargetSpec } from '../sink-spec.js';
import type { SinkRow, TransformSpec } from '../transform.js';
import { hypertable } from './hypertable.js';
import { quoteIdent, tableLayout, type TableLayout } from './sink-table.js';
import type { SinkTarget, WriteOutcome } from './target.js';

export interface PostgresTargetCounters {
  /** rows inserted */
  inserted: number;
  /** rows already in the table (a redelivery after a crash): skipped by ON CONFLICT DO NOTHING */
  duplicates: number;
  /** connections opened (the first, and each after a failure) */
  connects: number;
  /** batches that held rows already in the table, written the idempotent way */
  redelivered: number;
}

/** Rows per chunk of COPY text (about 60 bytes each) */
const COPY_CHUNK_ROWS = 1000;

/** SQLSTATE unique_violation */
const UNIQUE_VIOLATION = '23505';

/**
 * Rows into PostgreSQL (or TimescaleDB): one transaction per pulled batch. First COPY straight into the
 * sink's table; when that breaks the key (some rows are there already), the transaction is rolled back
 * and the batch is COPYed into a temporary staging table, then INSERT … SELECT … ON CONFLICT DO NOTHING
 * into the sink's table, COMMIT (issue 21: the fast path costs what a hand-written COPY costs; the
 * idempotent one only runs for a redelivered batch). `write` resolves
 * after the COMMIT, so the runner acks only what PostgreSQL has; a crash between COMMIT and ack redelivers
 * the batch, and the key (gateway, batch_id, seq) makes the second insert a no-op — exactly once in the
 * table. Any failure drops the connection (a half-open one after PostgreSQL restarted is useless) and
 * the next write reconnects.
 */
export class PostgresTarget implements SinkTarget {
  readonly describe: string;
  readonly counters: PostgresTargetCounters = { inserted: 0, duplicates: 0, connects: 0, redelivered: 0 };
  readonly #spec: PostgresTargetSpec;
  readonly #layout: TableLayout;
  readonly #stage: string;
  readonly #logger: Logger;
  #client: pg.Client | undefined;
  /** whether the table is a hypertable (TimescaleDB present when it was created) */
  hypertable = false;

  constructor(spec: PostgresTargetSpec, transform: TransformSpec, logger: Logger) {
    this.#spec = spec;
    this.#layout = tableLayout(spec.table, transform);
    this.#stage = `causeway_stage_${spec.table}`.slice(0, 63);
    this.#logger = logger;
    const u = new URL(spec.url);
    this.describe = `postgres ${u.username === '' ? '' : `${u.username}@`}${u.host}${u.pathname} table ${spec.table}`;
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const password = this.#spec.passwordFile === undefined ? undefined : readFileSync(this.#spec.passwordFile, 'utf8').trim();
    const client = new pg.Client({ connectionString: this.#spec.url, ...(password === undefined ? {} : { password }), connectionTimeoutMillis: 10_000, application_name: 'causeway-sink',
      // A PostgreSQL that hangs (or a link that silently drops) must become an error the runner retries,
      // not a sink that says "running" for ever: TCP keepalive, and a client-side limit per statement.
      keepAlive: true, query_timeout: 120_000 });
    // An idle connection that breaks (PostgreSQL stopped) emits 'error': without a listener it would crash the process.
    client.on('error', (err) => {
      this.#logger.warn('sink: postgres connection failed', { target: this.describe, err: err.message });
      if (this.#client === client) this.#client = undefined;
    });
    try {
      await client.connect();
      this.counters.connects++;
      await client.query(this.#layout.ddl);
      this.hypertable = await hypertable(client, this.#layout);
      // One staging table per connection, emptied by every COMMIT.
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(this.#stage)} (LIKE ${quoteIdent(this.#spec.table)} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new CausewayError('SINK_TARGET_UNAVAILABLE', `${this.describe}: ${(err as Error).message}`, { cause: err });
    }
    this.#client = client;
    return client;
  }

  async write(rows: SinkRow[]): Promise<WriteOutcome> {
    if (rows.length === 0) return { ok: true };
    const client = await this.#connect();
    const cols = this.#layout.columns.map(quoteIdent).join(', ');
    const layout = this.#layout;
    // COPY text in chunks, made as PostgreSQL reads them: it parses one while the next is built.
    function* chunks(): Generator<string> {
      for (let i = 0; i < rows.length; i += COPY_CHUNK_ROWS) {
        let text = '';
        const end = Math.min(rows.length, i + COPY_CHUNK_ROWS);
        for (let k = i; k < end; k++) text += layout.line(rows[k]!);
        yield text;
      }
    }
    const copy = (into: string): Promise<void> => pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${quoteIdent(into)} (${cols}) FROM STDIN`)));
    try {
      // Fast path: COPY straight into the table. A batch seen before (a redelivery after a crash) breaks
      // the key (23505): the transaction is rolled back whole and the batch goes the idempotent way.
      await client.query('BEGIN');
      try {
        await copy(this.#spec.table);
        await client.query('COMMIT');
        this.counters.inserted += rows.length;
        return { ok: true };
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        await client.query('ROLLBACK');
      }
      // Idempotent path: COPY into the staging table, INSERT what is not there yet, COMMIT.
      await client.query('BEGIN');
      await copy(this.#stage);
      const ins = await client.query(`INSERT INTO ${quoteIdent(this.#spec.table)} (${cols}) SELECT ${cols} FROM ${quoteIdent(this.#stage)} ON CONFLICT DO NOTHING`);
      await client.query('COMMIT');
      const inserted = ins.rowCount ?? 0;
      this.counters.inserted += inserted;
      this.counters.duplicates += rows.length - inserted;
      this.counters.redelivered++;
      return { ok: true };
    } catch (err) {
      // Whatever state the transaction is in, this connection is given up: ROLLBACK is implied by closing it.
      this.#client = undefined;
      await client.end().catch(() => undefined);
      throw new CausewayError('SINK_TARGET_FAILED', `${this.describe}: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }
}
