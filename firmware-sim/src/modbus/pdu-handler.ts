import type { RegisterBank } from './register-bank.js';

/** Exception codes (Modbus Application Protocol v1.1b3 §7). */
export const EXCEPTION = Object.freeze({ illegalFunction: 1, illegalAddress: 2, illegalValue: 3, deviceFailure: 4 });

const exception = (fc: number, code: number): Buffer => Buffer.from([fc | 0x80, code]);

/**
 * Answers one request PDU (function code + data, no address, no CRC or MBAP header) from a register
 * bank: function codes 1–6, 15 and 16. Pure apart from the bank's writes. A malformed request gets
 * exception 3, an unknown function exception 1, an undeclared address exception 2.
 */
export function handlePdu(req: Buffer, bank: RegisterBank): Buffer {
  const fc = req[0] ?? 0;
  if (req.length < 5) return exception(fc, fc >= 1 && fc <= 16 ? EXCEPTION.illegalValue : EXCEPTION.illegalFunction);
  const address = req.readUInt16BE(1);
  const qty = req.readUInt16BE(3);
  switch (fc) {
    case 1:
    case 2: {
      if (qty < 1 || qty > 2000) return exception(fc, EXCEPTION.illegalValue);
      const bytes = Buffer.alloc(Math.ceil(qty / 8));
      for (let i = 0; i < qty; i++) {
        const v = bank.read(fc === 1 ? 'coil' : 'discrete', address + i);
        if (v === undefined) return exception(fc, EXCEPTION.illegalAddress);
        if (v) bytes[i >> 3]! |= 1 << (i & 7);
      }
      return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
    }
    case 3:
    case 4: {
      if (qty < 1 || qty > 125) return exception(fc, EXCEPTION.illegalValue);
      const out = Buffer.alloc(2 + qty * 2);
      out[0] = fc;
      out[1] = qty * 2;
      for (let i = 0; i < qty; i++) {
        const v = bank.read(fc === 3 ? 'holding' : 'input', address + i);
        if (v === undefined) return exception(fc, EXCEPTION.illegalAddress);
        out.writeUInt16BE(v & 0xffff, 2 + i * 2);
      }
      return out;
    }
    case 5: {
      // qty is the value field here: 0xFF00 on, 0x0000 off (§6.5)
      if (qty !== 0xff00 && qty !== 0) return exception(fc, EXCEPTION.illegalValue);
      if (!bank.write('coil', address, qty === 0xff00 ? 1 : 0)) return exception(fc, EXCEPTION.illegalAddress);
      return Buffer.from(req.subarray(0, 5));
    }
    case 6:
      if (!bank.write('holding', address, qty)) return exception(fc, EXCEPTION.illegalAddress);
      return Buffer.from(req.subarray(0, 5));
    case 15:
    case 16: {
      const n = req[5] ?? 0;
      const max = fc === 15 ? 1968 : 123;
      if (qty < 1 || qty > max || req.length < 6 + n || n !== (fc === 15 ? Math.ceil(qty / 8) : qty * 2)) return exception(fc, EXCEPTION.illegalValue);
      for (let i = 0; i < qty; i++) {
        const ok = fc === 15 ? bank.write('coil', address + i, (req[6 + (i >> 3)]! >> (i & 7)) & 1) : bank.write('holding', address + i, req.readUInt16BE(6 + i * 2));
        if (!ok) return exception(fc, EXCEPTION.illegalAddress);
      }
      return Buffer.from(req.subarray(0, 5));
    }
    default:
      return exception(fc, EXCEPTION.illegalFunction);
  }
}
