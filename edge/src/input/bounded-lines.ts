/** One line of input: its text, or only its length when it was longer than the limit (never held whole). */
export type BoundedLine = { text: string } | { overlong: number };

export interface BoundedLineSplitter {
  /** the lines this chunk completed, in input order */
  push(chunk: Buffer): BoundedLine[];
  /** end of input: the last line if it had no newline */
  end(): BoundedLine[];
}

/**
 * Cuts a byte stream into "\n" lines (a trailing "\r" stripped), holding at most `maxBytes` of one
 * line: past that the rest of the line is counted and discarded, so a 5 MB line costs no 5 MB of
 * memory (issue 23 item 5; readline buffers a line whole). Unlike the serial line framer it reports
 * every line, empty and overlong ones too, so line numbers stay those of the input (stdin acks count
 * lines).
 */
export function boundedLines(maxBytes: number): BoundedLineSplitter {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let overlong = 0; // > 0: discarding the current line, this many bytes so far

  const finish = (tail: Buffer): BoundedLine => {
    if (overlong > 0) {
      const n = overlong + tail.length;
      overlong = 0;
      return { overlong: n };
    }
    let line = heldBytes === 0 ? tail : Buffer.concat([...held, tail]);
    held = [];
    heldBytes = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > maxBytes) return { overlong: line.length };
    return { text: line.toString('utf8') };
  };

  const keep = (rest: Buffer): void => {
    if (rest.length === 0) return;
    if (overlong > 0) {
      overlong += rest.length;
      return;
    }
    // + 1 leaves room for the "\r" of a CRLF line of exactly maxBytes
    if (heldBytes + rest.length > maxBytes + 1) {
      overlong = heldBytes + rest.length;
      held = [];
      heldBytes = 0;
      return;
    }
    held.push(Buffer.from(rest));
    heldBytes += rest.length;
  };

  return {
    push(chunk) {
      const out: BoundedLine[] = [];
      let from = 0;
      for (let at = chunk.indexOf(0x0a, from); at >= 0; at = chunk.indexOf(0x0a, from)) {
        out.push(finish(chunk.subarray(from, at)));
        from = at + 1;
      }
      keep(chunk.subarray(from));
      return out;
    },
    end() {
      if (overlong === 0 && heldBytes === 0) return [];
      return [finish(Buffer.alloc(0))];
    },
  };
}
