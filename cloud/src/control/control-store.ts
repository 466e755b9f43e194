import type { TargetEvent, TargetState } from './command-state.js';
import type { ClaimStore, FleetStatusStore } from '../fleet/fleet-store.js';
import type { RegistrationStore } from '../fleet/registration-store.js';

/**
 * Where the control plane keeps its state: commands with their per-device targets, and desired/reported
 * config. One contract, two backends with one shared test suite (cloud/test/control/control-store-contract.ts):
 * - SQLite (`control.db` in the data directory) for one node;
 * - JetStream KV (cloud/src/store/jetstream/jetstream-control-store.ts: jetstream-command-store.ts and jetstream-config-store.ts), so every node of a scaled-out
 *   cluster runs the control plane over the same state: a result consumed by any node settles the command
 *   another node created.
 *
 * Several nodes may write at once, so every change that depends on the current value is atomic in the
 * store (a transaction, or a compare-and-set on the KV revision): `transition` applies the pure state
 * machine (`command-state.ts`) to what is stored *now*, `setStatus` only moves a RUNNING command, versions
 * and desired versions only grow.
 */

export type CommandTarget = { device: string } | { group: string } | { all: true };

export type CommandStatus = 'RUNNING' | 'COMPLETED' | 'ABORTED' | 'CANCELED';

export interface CommandRecord {
  id: string;
  name: string;
  args: Record<string, unknown>;
  target: CommandTarget;
  createdAt: number;
  expiresAt: number;
  rolloutPerMinute?: number;
  abortThresholdPercent?: number;
  status: CommandStatus;
}

export interface TargetRow {
  gateway: string;
  device: string;
  state: TargetState;
  reason?: string;
  output?: unknown;
  updatedAt: number;
  /** when the command went out to this target (the start of its round trip, issue 24) */
  sentAt?: number;
}

export interface TargetKey {
  gateway: string;
  device: string;
}

/** What a change to a target carries besides the event (kept when absent). */
export interface TargetDetail {
  reason?: string;
  output?: unknown;
}

/** A change seen by `watch`: a target moved, or the command's status did. */
export type ControlChange =
  | { kind: 'target'; commandId: string; gateway: string; device: string; state: TargetState; reason?: string }
  | { kind: 'command'; commandId: string; status: CommandStatus };

export interface CommandStore {
  /** Stores a new command and its targets, all QUEUED, atomically. */
  create(rec: CommandRecord, targets: readonly TargetKey[], at: number): Promise<void>;
  get(id: string): Promise<CommandRecord | undefined>;
  /** Newest first. */
  list(limit: number): Promise<CommandRecord[]>;
  /** Every command still RUNNING (the tick's work list). */
  running(): Promise<CommandRecord[]>;
  /** RUNNING → `status`; false when the command is unknown or no longer RUNNING (another node won). */
  setStatus(id: string, status: Exclude<CommandStatus, 'RUNNING'>): Promise<boolean>;
  /**
   * Applies `event` to the target's stored state with `next()`; returns the new state, or undefined when
   * the target is unknown or the event does not apply (late, duplicate, already terminal).
   */
  transition(id: string, target: TargetKey, event: TargetEvent, detail: TargetDetail, at: number): Promise<TargetState | undefined>;
  /** Targets ordered by gateway, then device; only those in `state` when given. */
  targets(id: string, state?: TargetState): Promise<TargetRow[]>;
  /** One target of a command, or undefined when the command has no such target (one key lookup). */
  target(id: string, target: TargetKey): Promise<TargetRow | undefined>;
  counts(id: string): Promise<Record<TargetState, number>>;
  /** Is any target still open (QUEUED, SENT, DELIVERED or in progress: command-state.ts OPEN)? */
  hasOpen(id: string): Promise<boolean>;
  /**
   * Changes made by any node, for backends shared by several nodes; absent when this node makes every
   * change itself (the service then reports its own). Returns the function that stops watching.
   */
  watch?(id: string, onChange: (c: ControlChange) => void): Promise<() => void>;
}

export interface ConfigDoc {
  version: number;
  doc: Record<string, unknown>;
}

/** One accepted change: the document a scope got at a version (issue 24: `causeway config history`). */
export interface ConfigHistoryEntry {
  version: number;
  scope: string;
  doc: Record<string, unknown>;
  at: number;
}

export interface ConfigStatusRecord {
  gateway: string;
  desiredVersion?: number;
  reportedVersion?: number;
  status?: string;
  error?: { key?: string; message: string };
  reportedAt?: number;
}

export interface ConfigReport {
  version: number;
  status: string;
  error?: { key?: string; message: string };
  at: number;
}

export interface ConfigStore {
  /** The next version of the one cluster-wide counter (1, 2, …), never handed out twice. */
  nextVersion(): Promise<number>;
  /**
   * Stores the document of a scope (`all`, `group:<g>`, `gateway:<id>`) unless a newer version is stored,
   * and records it in the history either way (each version is handed out once, so it is one change).
   */
  putDoc(scope: string, entry: ConfigDoc, at: number): Promise<void>;
  getDoc(scope: string): Promise<ConfigDoc | undefined>;
  /** The recorded changes, newest first, at most `limit`. */
  history(limit: number): Promise<ConfigHistoryEntry[]>;
  /** Records the version pushed to a gateway; never lowers it. */
  setDesired(gateway: string, version: number): Promise<void>;
  /** Records a gateway's report (the latest report wins). */
  setReported(gateway: string, report: ConfigReport): Promise<void>;
  /** Every gateway with a desired or reported version, ordered by gateway. */
  status(): Promise<ConfigStatusRecord[]>;
}

/** An operator's last pause or resume of a sink (issue 21), kept across restarts and seen by every node. */
export interface SinkPause {
  paused: boolean;
  at: number;
}

export interface SinkControlStore {
  /** Records a pause (true) or a resume (false) of a sink; the later `at` wins, so a late write from another node does not undo a newer one. */
  setPaused(sink: string, paused: boolean, at: number): Promise<void>;
  /** The last pause or resume of every sink that had one (a sink never paused nor resumed is absent). */
  pauses(): Promise<Map<string, SinkPause>>;
}

export interface ControlStore {
  readonly commands: CommandStore;
  readonly config: ConfigStore;
  /** the latest status of each gateway (issue 20) */
  readonly fleet: FleetStatusStore;
  /** claim tokens for self-registration (issue 20) */
  readonly claims: ClaimStore;
  /** sinks paused or resumed by an operator (issue 21) */
  readonly sinks: SinkControlStore;
  /** registrations by claims that need approval, waiting for an operator (issue 20) */
  readonly registrations: RegistrationStore;
  close(): Promise<void>;
}
