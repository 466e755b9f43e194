import net from 'node:net';
import { SerialPort } from 'serialport';
import { openPtyPair, type PtyPair } from '../pty/pty-pair.js';
import type { RegisterBank } from './register-bank.js';
import { RtuFramer, rtuFrame } from './rtu-framer.js';
import { slaveAnswer, type SlaveFaults } from './slave-faults.js';

export interface SlaveStats {
  requests: number;
  answers: number;
  silent: number;
  crcErrors: number;
  /** requests by function code ("3": 120, "15": 1): a test can tell an fc 15 write from three fc 5 ones */
  functions: Record<string, number>;
}

const newStats = (): SlaveStats => ({ requests: 0, answers: 0, silent: 0, crcErrors: 0, functions: {} });
const countRequest = (stats: SlaveStats, pdu: Buffer): void => {
  stats.requests++;
  const fc = String(pdu[0] ?? 0);
  stats.functions[fc] = (stats.functions[fc] ?? 0) + 1;
};

export interface RunningSlave {
  /** TCP: the port listened on; RTU: the PTY link the master opens */
  readonly address: string | number;
  readonly stats: SlaveStats;
  stop(): Promise<void>;
}

interface SlaveOptions {
  banks: ReadonlyMap<number, RegisterBank>;
  faults: SlaveFaults;
}

const later = (ms: number | undefined): Promise<void> => (ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * Modbus TCP slaves behind one listener (a gateway): MBAP header (transaction id, protocol 0, length,
 * unit id) then the PDU (Modbus Messaging on TCP/IP v1.0b §3.1.3). Requests on one connection are
 * answered in order.
 */
export function startModbusTcpSlave(o: SlaveOptions & { host?: string; port: number }): Promise<RunningSlave> {
  const stats = newStats();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    let chain = Promise.resolve();
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 7) {
        const len = buf.readUInt16BE(4);
        if (buf.length < 6 + len) break;
        const header = Buffer.from(buf.subarray(0, 7));
        const pdu = Buffer.from(buf.subarray(7, 6 + len));
        buf = buf.subarray(6 + len);
        countRequest(stats, pdu);
        chain = chain.then(async () => {
          const answer = slaveAnswer(o.banks, o.faults, header[6]!, pdu);
          if (answer === null) return void stats.silent++;
          await later(o.faults.delayMs);
          header.writeUInt16BE(answer.length + 1, 4);
          stats.answers++;
          if (!sock.destroyed) sock.write(Buffer.concat([header, answer]));
        });
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        address: port,
        stats,
        stop: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Modbus RTU slaves on one PTY (the master opens `link`), framed by rtu-framer.ts, CRC-16 checked. */
export async function startModbusRtuSlave(o: SlaveOptions & { link: string; deviceLink?: string }): Promise<RunningSlave> {
  const stats = newStats();
  const pty: PtyPair = await openPtyPair(o.link, o.deviceLink ?? `${o.link}.slave`);
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: pty.deviceLink, baudRate: 115200, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
  port.on('error', () => {});
  const framer = new RtuFramer();
  let chain = Promise.resolve();
  let answered = 0;
  port.on('data', (chunk: Buffer) => {
    for (const req of framer.push(chunk)) {
      countRequest(stats, req.pdu);
      chain = chain.then(async () => {
        const answer = slaveAnswer(o.banks, o.faults, req.unit, req.pdu);
        if (answer === null) return void stats.silent++;
        await later(o.faults.delayMs);
        const frame = rtuFrame(req.unit, answer);
        answered++;
        if (o.faults.badCrcEvery !== undefined && answered % o.faults.badCrcEvery === 0) frame[frame.length - 1]! ^= 0xff;
        stats.answers++;
        port.write(frame);
      });
    }
    stats.crcErrors = framer.crcErrors;
  });
  return {
    address: o.link,
    stats,
    async stop() {
      await chain;
      await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
      await pty.close();
    },
  };
}
