import type Database from 'better-sqlite3';

/** Ids reserved per write: one small commit per this many records (well under a byte per reading). */
export const ID_BLOCK = 8192;

/**
 * Hands out record ids (the readings' seqs, and the second half of a batch id `${epoch}-${firstId}`)
 * before the record is written, so that a reading can go out on the direct path under the id it would
 * have had in the file (issue 16). The ids are reserved a block at a time in `sqlite_sequence`, durably,
 * BEFORE any of them is used: after a crash the next block starts past every id ever handed out, so a
 * batch id never names two different sets of readings in the cloud's dedupe, even for readings that
 * were PUBACKed and never written. A plain INSERT without an id (AUTOINCREMENT) lands past the block too.
 */
export class IdReservation {
  private next = 1;
  private limit = 0;

  constructor(private readonly db: Database.Database, private readonly block = ID_BLOCK) {}

  /** The next id; reserves a new block first when this one is used up. */
  take(): number {
    if (this.next > this.limit) this.reserve();
    return this.next++;
  }

  private reserve(): void {
    this.db.transaction(() => {
      const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as { seq: number } | undefined;
      const from = Math.max(row?.seq ?? 0, this.limit) + 1;
      const limit = from + this.block - 1;
      if (row === undefined) this.db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('records', ?)").run(limit);
      else this.db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'records'").run(limit);
      this.next = from;
      this.limit = limit;
    })();
  }
}
