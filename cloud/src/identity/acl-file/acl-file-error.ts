import { CausewayError } from '@causeway/shared';

/** An acl_file line Causeway cannot read: names the line (1-based) and what was expected there. */
export class AclFileError extends CausewayError {
  override name = 'AclFileError';
  /** 1-based line number in the file */
  readonly line: number;

  constructor(line: number, message: string, options?: { cause?: unknown }) {
    super('ACL_FILE_INVALID', `line ${line}: ${message}`, options);
    this.line = line;
  }
}
