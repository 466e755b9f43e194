import { crc16 } from './crc16.js';

/** One RTU request frame cut from the byte stream. */
export interface RtuRequest {
  unit: number;
  pdu: Buffer;
}

/** Bytes of the request PDU given its first bytes, or undefined when more bytes are needed to tell. */
function pduLength(buf: Buffer, at: number): number | undefined {
  const fc = buf[at + 1];
  if (fc === undefined) return undefined;
  if (fc >= 1 && fc <= 6) return 5;
  if (fc === 15 || fc === 16) {
    const n = buf[at + 6];
    return n === undefined ? undefined : 6 + n;
  }
  return 5; // unknown function: assume the common shape; a bad CRC then resynchronises
}

/**
 * Cuts RTU request frames (address, PDU, CRC low byte first) out of a serial byte stream. A real slave
 * frames by the 3.5-character silence; over a PTY there is no timing, so the framer uses the request's
 * length by function code and checks the CRC, dropping one byte to resynchronise on a mismatch
 * (counted, like a slave's CRC error counter). Pure: push bytes, get frames.
 */
export class RtuFramer {
  private buf: Buffer = Buffer.alloc(0);
  crcErrors = 0;

  push(chunk: Buffer): RtuRequest[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: RtuRequest[] = [];
    for (;;) {
      const len = pduLength(this.buf, 0);
      if (len === undefined || this.buf.length < 1 + len + 2) break;
      const frame = this.buf.subarray(0, 1 + len);
      const crc = this.buf.readUInt16LE(1 + len);
      if (crc16(frame) !== crc) {
        this.crcErrors++;
        this.buf = this.buf.subarray(1);
        continue;
      }
      out.push({ unit: frame[0]!, pdu: Buffer.from(frame.subarray(1)) });
      this.buf = this.buf.subarray(1 + len + 2);
    }
    return out;
  }
}

/** A response frame: address, PDU, CRC (low byte first). */
export function rtuFrame(unit: number, pdu: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([unit]), pdu]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body), 0);
  return Buffer.concat([body, crc]);
}
