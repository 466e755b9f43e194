import type Database from 'better-sqlite3';
import type { SessionState, SessionStore } from '../contract.js';
import type { GroupCommit } from './group-commit.js';

/** Persistent sessions as one JSON document per client (they are read and written whole). */
export class SqliteSessions implements SessionStore {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly commit: GroupCommit,
    private readonly assertOpen: () => void,
  ) {
    this.stmt = {
      get: db.prepare('SELECT state FROM sessions WHERE client_id = ?').pluck(),
      put: db.prepare('INSERT INTO sessions (client_id, state) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET state = excluded.state'),
      del: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
      list: db.prepare('SELECT state FROM sessions ORDER BY client_id').pluck(),
    };
  }

  async getSession(clientId: string): Promise<SessionState | undefined> {
    this.assertOpen();
    const json = this.stmt.get.get(clientId) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as SessionState);
  }

  async putSession(state: SessionState): Promise<void> {
    this.assertOpen();
    const json = JSON.stringify(state);
    await this.commit.submit(() => {
      this.stmt.put.run(state.clientId, json);
    });
  }

  async deleteSession(clientId: string): Promise<void> {
    this.assertOpen();
    await this.commit.submit(() => {
      this.stmt.del.run(clientId);
    });
  }

  async listSessions(): Promise<SessionState[]> {
    this.assertOpen();
    return (this.stmt.list.all() as string[]).map((json) => JSON.parse(json) as SessionState);
  }
}
