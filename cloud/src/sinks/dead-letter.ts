/**
 * The server-side queue of what sinks could not deliver: `dead-letter/{sink}`, one JSON record per
 * refused batch (the target's status and response, the batch's offsets and rows) or per batch of
 * messages the transform could not read. Read it like any queue: `causeway consume dead-letter --group G`.
 */
export const DEAD_LETTER_QUEUE = 'dead-letter';
