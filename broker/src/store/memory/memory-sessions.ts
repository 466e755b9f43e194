import type { SessionState, SessionStore } from '../contract.js';

/**
 * Persistent sessions by client id. States are deep-copied on the way in and out (they are plain JSON),
 * so a caller mutating its object cannot change what is stored — the same as a backend that serializes.
 */
export class MemorySessions implements SessionStore {
  private readonly byClient = new Map<string, SessionState>();

  constructor(private readonly assertOpen: () => void) {}

  async getSession(clientId: string): Promise<SessionState | undefined> {
    this.assertOpen();
    const s = this.byClient.get(clientId);
    return s === undefined ? undefined : structuredClone(s);
  }

  async putSession(state: SessionState): Promise<void> {
    this.assertOpen();
    this.byClient.set(state.clientId, structuredClone(state));
  }

  async deleteSession(clientId: string): Promise<void> {
    this.assertOpen();
    this.byClient.delete(clientId);
  }

  async listSessions(): Promise<SessionState[]> {
    this.assertOpen();
    return [...this.byClient.values()].map((s) => structuredClone(s));
  }
}
