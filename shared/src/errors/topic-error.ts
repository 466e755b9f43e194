import { CausewayError } from './causeway-error.js';

/** A topic name, topic filter or topic id segment is not valid. */
export class TopicError extends CausewayError {
  override name = 'TopicError';

  constructor(code: 'TOPIC_INVALID' | 'FILTER_INVALID' | 'ID_INVALID' | 'TOPIC_UNKNOWN', message: string) {
    super(code, message);
  }
}
