import { SerialPort } from 'serialport';
import { encodeSlcanFrame, OBD2_PIDS, obd2Answer, parseObd2Request, parseSlcanLine, SlcanSplitter } from '@causeway/shared/can/index.js';
import { openPtyPair, type PtyPair } from '../pty/pty-pair.js';
import type { VehicleProfile, VehicleState } from './vehicle-profile.js';
import { vehicleFrames } from './vehicle-profile.js';

export interface SlcanAdapterOptions {
  link: string;
  deviceLink?: string;
  profile: VehicleProfile;
  /** broadcast cycles per second while the channel is open */
  rate: number;
  /** every Nth line sent is garbage (a bad frame the agent must count) */
  badEvery?: number;
}

export interface SlcanAdapterStats {
  opens: number;
  framesSent: number;
  badSent: number;
  obdAnswers: number;
  commandsRefused: number;
}

export interface RunningAdapter {
  readonly address: string;
  readonly stats: SlcanAdapterStats;
  stop(): Promise<void>;
}

const OBD_VALUE: Record<number, (s: VehicleState) => number> = { 0x0c: (s) => s.engineRpm, 0x0d: (s) => s.speedKmh, 0x05: (s) => s.coolantC, 0x2f: (s) => s.fuelPct };

/**
 * A Lawicel SLCAN adapter (CANable-like) on a PTY with a vehicle behind it: answers C/Sn/Zn/O/V with CR
 * (S while open with BEL, as a real one does), broadcasts the profile's J1939 and battery frames while
 * open, and answers OBD-II mode 01 requests sent to 0x7DF from the engine ECU at 0x7E8.
 */
export async function startSlcanAdapter(o: SlcanAdapterOptions): Promise<RunningAdapter> {
  const pty: PtyPair = await openPtyPair(o.link, o.deviceLink ?? `${o.link}.adapter`);
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: pty.deviceLink, baudRate: 115200, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
  const stats: SlcanAdapterStats = { opens: 0, framesSent: 0, badSent: 0, obdAnswers: 0, commandsRefused: 0 };
  const started = Date.now();
  let open = false;
  let timestamps = false;
  let lines = 0;
  const send = (line: string): void => {
    lines++;
    if (o.badEvery !== undefined && lines % o.badEvery === 0) {
      port.write('t12G1ZZ\r'); // non-hex: the agent counts it malformed
      stats.badSent++;
    }
    port.write(line);
  };
  const ts = (): number | undefined => (timestamps ? (Date.now() - started) % 60_000 : undefined);
  const splitter = new SlcanSplitter();
  port.on('data', (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) {
      const c = line[0];
      if (c === 'C') {
        open = false;
        port.write('\r');
      } else if (c === 'S' || c === 'Z') {
        if (open && c === 'S') {
          stats.commandsRefused++;
          port.write('\x07');
        } else {
          if (c === 'Z') timestamps = line[1] === '1';
          port.write('\r');
        }
      } else if (c === 'O') {
        open = true;
        stats.opens++;
        port.write('\r');
      } else if (c === 'V') port.write('V1013\r');
      else if (c === 't' || c === 'T') {
        const m = parseSlcanLine(line);
        if (!open || 'error' in m || m.kind !== 'frame') {
          stats.commandsRefused++;
          port.write('\x07');
          continue;
        }
        port.write('z\r');
        const pid = parseObd2Request(m.frame.id, m.frame.data);
        const value = pid === null ? undefined : OBD_VALUE[pid]?.(o.profile.at(Date.now() - started));
        const data = pid === null || value === undefined || !OBD2_PIDS.has(pid) ? null : obd2Answer(pid, value);
        if (data !== null) {
          stats.obdAnswers++;
          send(encodeSlcanFrame({ id: 0x7e8, extended: false, remote: false, dlc: 8, data }, ts()));
        }
      } else if (line !== '') {
        stats.commandsRefused++;
        port.write('\x07');
      }
    }
  });
  const timer = setInterval(() => {
    if (!open) return;
    for (const f of vehicleFrames(o.profile.at(Date.now() - started))) {
      send(encodeSlcanFrame(f, ts()));
      stats.framesSent++;
    }
  }, Math.max(1, Math.round(1000 / o.rate)));
  return {
    address: o.link,
    stats,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
      await pty.close();
    },
  };
}
