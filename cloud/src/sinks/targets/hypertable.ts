import { quoteIdent, type TableLayout } from './sink-table.js';

/** What `hypertable` needs of a PostgreSQL client (pg.Client has it). */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
}

/**
 * Makes a sink's table a TimescaleDB hypertable on its time column when the `timescaledb` extension is
 * installed in that database (issue 21); otherwise leaves it a plain table. Only a readings table has a
 * time column. Idempotent (if_not_exists), and migrate_data lets a table that already has rows become one.
 * Returns whether the table is a hypertable.
 */
export async function hypertable(client: Queryable, layout: TableLayout): Promise<boolean> {
  if (layout.timeColumn === undefined) return false;
  const ext = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (ext.rowCount === 0 || ext.rowCount === null) return false;
  await client.query('SELECT create_hypertable($1::regclass, $2::name, if_not_exists => TRUE, migrate_data => TRUE)', [quoteIdent(layout.table), layout.timeColumn]);
  return true;
}
