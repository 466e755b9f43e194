import { CausewayError } from '@causeway/shared';

export type StoreErrorCode =
  /** the store was used after close() */
  | 'STORE_CLOSED'
  /** an argument a backend cannot accept (bad offset, bad queue name, unknown backend) */
  | 'STORE_INVALID'
  /** the backend failed underneath (disk full, corrupt file, I/O error); `cause` holds the original */
  | 'STORE_IO'
  /** the database file was written by a newer Causeway (schema_version above what we know) */
  | 'STORE_SCHEMA';

/** A storage backend refused or failed an operation. */
export class StoreError extends CausewayError {
  override name = 'StoreError';
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
