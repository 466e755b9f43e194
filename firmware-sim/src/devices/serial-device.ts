import { prng } from '@causeway/shared';
import { SerialPort } from 'serialport';
import { answerCommand } from './commands.js';
import { isBurst, planWrites, type Injection, type MisbehaviourOptions } from './misbehaviour.js';
import { openPtyPair, type PtyPair } from '../pty/pty-pair.js';
import type { DeviceProfile, DeviceState } from '../profiles/profile.js';

export interface SerialDeviceOptions {
  profile: DeviceProfile;
  /** the path the edge opens; the device end is `deviceLink` (default `<link>.dev`) */
  link: string;
  deviceLink?: string;
  rateHz: number;
  seed?: number;
  noise?: number;
  /** time of message 0 for time-carrying profiles (GPS); absent: the current time */
  epochMs?: number;
  /** stop sending after this many messages (the port stays up until stop) */
  count?: number;
  misbehave?: MisbehaviourOptions;
  /** the port disappears every `vanishEveryMs` for `vanishForMs` (kill socat, re-create the link later) */
  vanishEveryMs?: number;
  vanishForMs?: number;
  /**
   * Start sending only once the edge has opened the port (socat wait-slave) and then `settleMs` later:
   * the serialport binding flushes the tty on open, so lines sent earlier are lost, as with a real
   * device talking into an unopened port. Tests that check every value use it; default false.
   */
  waitPeer?: boolean;
  /** retransmit a message not acknowledged after this long (profiles that want ACKs); default 2000 */
  ackTimeoutMs?: number;
  /** one JSON-able record per notable thing (link up/down, injection, command, done) */
  emit: (ev: Record<string, unknown>) => void;
}

export interface DeviceSummary {
  sent: number;
  delivered: number;
  injected: Partial<Record<Injection, number>>;
  acked: number;
  retransmits: number;
  commands: number;
  vanished: number;
}

export interface SerialDevice {
  readonly summary: DeviceSummary;
  /** unplug now, plug back after ms */
  vanish(ms: number): Promise<void>;
  stop(): Promise<DeviceSummary>;
}

const openPort = (path: string): Promise<SerialPort> =>
  new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });

/** Runs one simulated device on a fresh PTY pair until stop(). */
export async function startSerialDevice(o: SerialDeviceOptions): Promise<SerialDevice> {
  const deviceLink = o.deviceLink ?? `${o.link}.dev`;
  const seed = o.seed ?? 1;
  const noise = o.noise ?? 0;
  const mis = o.misbehave ?? {};
  const rand = prng(seed ^ 0x5bd1e995);
  const summary: DeviceSummary = { sent: 0, delivered: 0, injected: {}, acked: 0, retransmits: 0, commands: 0, vanished: 0 };
  let st: DeviceState = { intervalMs: Math.max(1, Math.round(1000 / o.rateHz)), relay: false, seq: 0, ...(o.epochMs === undefined ? {} : { epochMs: o.epochMs }) };
  let pair: PtyPair | null = null;
  let port: SerialPort | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let vanishTimer: NodeJS.Timeout | null = null;
  /** every write, unplug and replug runs on this one chain, so they never interleave */
  let writing: Promise<void> = Promise.resolve();
  let doneEmitted = false;
  /** a tick's send is still on the chain: the next tick skips rather than queue up behind a blocked port */
  let inFlight = false;
  let plugging = false;
  const unacked = new Map<number, { data: Buffer; at: number; tries: number }>();

  const write = (buf: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const p = port;
      if (p === null || !p.isOpen) return resolve();
      p.write(buf, () => p.drain(() => resolve()));
    });

  const onLine = (line: string): void => {
    const r = answerCommand(line, st);
    st = r.state;
    if (r.acked !== undefined) {
      if (unacked.delete(r.acked)) {
        summary.acked++;
        o.emit({ event: 'acked', seq: r.acked });
      }
      return;
    }
    if (r.reply === null) return;
    summary.commands++;
    o.emit({ event: 'command', line: line.trim(), reply: r.reply });
    writing = writing.then(() => write(Buffer.from(r.reply + '\n')));
    if (r.reboot) unacked.clear();
    reschedule();
  };

  const plugIn = async (): Promise<void> => {
    plugging = true;
    try {
      await plugInOnce();
    } finally {
      plugging = false;
    }
  };

  const plugInOnce = async (): Promise<void> => {
    const mine = await openPtyPair(o.link, deviceLink, { waitPeer: o.waitPeer === true });
    pair = mine;
    // With wait-slave socat ends when the edge closes the port (edge restarted, killed): plug in again
    // and wait for the edge, as a device keeps waiting for its host. Retransmits cover what was lost.
    void mine.exited.then(async () => {
      if (stopped || pair !== mine) return;
      const p = port;
      port = null;
      pair = null;
      if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
      o.emit({ event: 'peer-closed', link: o.link });
      if (!stopped) await plugIn().catch((err: Error) => o.emit({ event: 'error', message: err.message }));
    });
    if (o.waitPeer) await new Promise((r) => setTimeout(r, 200));
    port = await openPort(deviceLink);
    let held = '';
    port.on('data', (chunk: Buffer) => {
      held += chunk.toString('latin1');
      let i: number;
      while ((i = held.indexOf('\n')) >= 0) {
        onLine(held.slice(0, i));
        held = held.slice(i + 1);
      }
      if (held.length > 4096) held = '';
    });
    port.on('error', () => undefined);
    o.emit({ event: 'link-up', link: o.link, deviceLink, socatPid: pair.pid });
  };

  const unplug = async (): Promise<void> => {
    const p = port;
    const q = pair;
    // cleared first, so the exit watcher in plugInOnce sees a deliberate unplug, not a closed peer
    port = null;
    pair = null;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
    await q?.close();
  };

  const sendOne = async (): Promise<void> => {
    const seq = st.seq;
    const burst = isBurst(seq, mis) ? Math.max(1, mis.burstSize ?? 10) : 1;
    const pieces: Buffer[][] = [];
    for (let k = 0; k < burst; k++) {
      if (o.count !== undefined && summary.sent >= o.count) break;
      const s = st.seq;
      const plan = planWrites(s, o.profile.lines(s, seed, noise, st), mis, rand);
      for (const inj of plan.injected) {
        summary.injected[inj] = (summary.injected[inj] ?? 0) + 1;
        o.emit({ event: 'injected', mode: inj, seq: s });
      }
      summary.sent++;
      if (plan.delivered) summary.delivered++;
      if (o.profile.wantsAck && plan.delivered) unacked.set(s, { data: Buffer.concat(plan.writes), at: Date.now(), tries: 0 });
      pieces.push(plan.writes);
      st = { ...st, seq: s + 1 };
    }
    if (burst > 1) {
      summary.injected.burst = (summary.injected.burst ?? 0) + 1;
      o.emit({ event: 'injected', mode: 'burst', seq, size: pieces.length });
      await write(Buffer.concat(pieces.flat()));
      return;
    }
    for (const ws of pieces) {
      for (let i = 0; i < ws.length; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 15));
        await write(ws[i]!);
      }
    }
  };

  const retransmit = async (): Promise<void> => {
    const timeout = o.ackTimeoutMs ?? 2000;
    const now = Date.now();
    for (const [s, u] of unacked) {
      if (now - u.at < timeout) continue;
      if (u.tries >= 3) {
        unacked.delete(s);
        o.emit({ event: 'ack-timeout', seq: s });
        continue;
      }
      u.tries++;
      u.at = now;
      summary.retransmits++;
      await write(u.data);
    }
  };

  const tick = (): void => {
    if (stopped || port === null || plugging || inFlight) return;
    if (o.count !== undefined && summary.sent >= o.count) {
      if (!doneEmitted) {
        doneEmitted = true;
        o.emit({ event: 'done', ...summary });
      }
      inFlight = true;
      writing = writing.then(retransmit).finally(() => (inFlight = false));
      return;
    }
    inFlight = true;
    writing = writing.then(sendOne).then(retransmit).finally(() => (inFlight = false));
  };

  const reschedule = (): void => {
    if (timer) clearInterval(timer);
    if (!stopped) timer = setInterval(tick, st.intervalMs);
  };

  const vanish = async (ms: number): Promise<void> => {
    summary.vanished++;
    await unplug();
    o.emit({ event: 'link-down', link: o.link, forMs: ms });
    await new Promise((r) => setTimeout(r, ms));
    if (!stopped) await plugIn();
  };

  await plugIn();
  reschedule();
  if (o.vanishEveryMs !== undefined && o.vanishEveryMs > 0) {
    const cycle = (): void => {
      vanishTimer = setTimeout(() => {
        writing = writing.then(() => vanish(o.vanishForMs ?? 1000)).then(() => {
          if (!stopped) cycle();
        });
      }, o.vanishEveryMs);
    };
    cycle();
  }

  return {
    summary,
    vanish: (ms) => {
      const p = writing.then(() => vanish(ms));
      writing = p;
      return p;
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (vanishTimer) clearTimeout(vanishTimer);
      await writing;
      await unplug();
      return summary;
    },
  };
}
